#!/bin/sh
# CAMARA Number Verification through the sandbox, with the device client (`smv follow --carrier lo`)
# on the authorization chain and curl as the app's backend: the ready line and discovery, the code
# flow with PKCE (IP/port matching and header enrichment), the token endpoint with
# client_secret_basic, client_secret_post and private_key_jwt (ES256 and RS256 assertions signed by
# openssl, and ES256 by `smv sandbox assertion`), the ID token checked by openssl against the JWKS,
# /verify and /device-phone-number, and every token-endpoint error: a reused, expired or mismatched
# code, a wrong PKCE verifier, a bad secret, a replayed assertion. The client's own handling of the
# OAuth result (authorization, --state, interaction required) is camara_client.sh.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null 2>&1 || { echo "SKIP: needs openssl"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
JWS="python3 $HERE/jws_openssl.py"
RU=myapp://camara/callback

openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/ec.pem" 2>/dev/null &&
  openssl pkey -in "$WORK/ec.pem" -pubout -out "$WORK/ec.pub" &&
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa.pem" 2>/dev/null &&
  openssl pkey -in "$WORK/rsa.pem" -pubout -out "$WORK/rsa.pub" || { echo "openssl keys failed"; exit 1; }
"$SMV" sandbox keygen "$WORK/smv.pem" >"$WORK/smv.pub" || { echo "smv sandbox keygen failed"; exit 1; }
pem() { python3 -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$1"; }
cat >"$WORK/cfg.json" <<J
{"operators": [{"name": "alpha", "profile": "ip_port"},
               {"name": "beta", "profile": "header_enrichment", "ip_ranges": ["127.0.0.0/8"]}],
 "subscribers": [{"msisdn": "41793026727", "operator": "alpha", "private_ip": "127.0.0.1"},
                 {"msisdn": "41780000001", "operator": "beta", "private_ip": "127.0.0.1"}],
 "camara": {"code_ttl_ms": 3000, "clients": [
   {"client_id": "app", "client_secret": "app-secret", "redirect_uris": ["$RU"]},
   {"client_id": "ossl-ec", "public_key": $(pem "$WORK/ec.pub"), "redirect_uris": ["$RU"], "require_pkce": true},
   {"client_id": "ossl-rsa", "public_key": $(pem "$WORK/rsa.pub"), "redirect_uris": ["$RU"]},
   {"client_id": "smv-ec", "public_key": $(pem "$WORK/smv.pub"), "redirect_uris": ["$RU"]}]}}
J
start_sandbox sb --config "$WORK/cfg.json"
LINE=$(head -1 "$WORK/sb.out")
DISC=$(json_get "$LINE" camara.discovery)
[ "$DISC" = "$API/.well-known/openid-configuration" ] && [ "$(json_get "$LINE" camara.client_id)" = app ] &&
  [ "$(json_get "$LINE" camara.client_secret)" = app-secret ] && [ "$(json_get "$LINE" camara.redirect_uri)" = "$RU" ] &&
  ok "ready line: camara discovery, client_id, client_secret, redirect_uri" || fail "ready line: $LINE"
curl -s --cacert "$CA" "$DISC" >"$WORK/disc.json"
python3 - "$WORK/disc.json" "$API" <<'PY' && ok "discovery document" || fail "discovery: $(cat "$WORK/disc.json")"
import json, sys
d = json.load(open(sys.argv[1])); api = sys.argv[2]
assert d["issuer"] == api and d["authorization_endpoint"] == api + "/oauth2/authorize"
assert d["token_endpoint"] == api + "/oauth2/token" and d["response_types_supported"] == ["code"]
assert "authorization_code" in d["grant_types_supported"] and d["code_challenge_methods_supported"] == ["S256"]
assert {"private_key_jwt", "client_secret_basic", "client_secret_post"} <= set(d["token_endpoint_auth_methods_supported"])
assert {"openid", "number-verification:verify", "number-verification:device-phone-number:read"} <= set(d["scopes_supported"])
PY
TOKEN_EP=$(json_get "$(cat "$WORK/disc.json")" token_endpoint)
curl -s --cacert "$CA" "$(json_get "$(cat "$WORK/disc.json")" jwks_uri)" >"$WORK/jwks.json"

VERIFIER=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk
CHALLENGE=$($JWS pkce "$VERIFIER")
SCOPE=openid%20number-verification%3Averify%20number-verification%3Adevice-phone-number%3Aread
# authorize CLIENT [EXTRA]: the device follows the authorize URL to the redirect_uri; sets CODE
authorize() {
  local url="$API/oauth2/authorize?response_type=code&client_id=$1&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback&scope=$SCOPE&state=st-$1&code_challenge=$CHALLENGE&code_challenge_method=S256${2:-}"
  OUT=$(timeout 20 "$SMV" follow "$url" --return-url "$RU" --carrier lo --cacert "$CA" --json 2>"$WORK/follow.err")
  RC=$?
  CODE=$(python3 -c 'import json,sys,urllib.parse as u
r=json.loads(sys.argv[1]); q=u.parse_qs(u.urlsplit(r["final_url"]).query)
assert q["state"]==["st-"+sys.argv[2]]; print(q["code"][0])' "$OUT" "$1" 2>/dev/null)
}
# token FORM [curl args]: POST to the token endpoint; prints "STATUS BODY"
token() {
  local form=$1; shift
  curl -s --cacert "$CA" -o "$WORK/tok" -w '%{http_code}' "$@" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data "$form" "$TOKEN_EP"
  printf ' '; cat "$WORK/tok"
}
grant() { echo "grant_type=authorization_code&code=$CODE&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback&code_verifier=$VERIFIER${1:-}"; }
api() { # METHOD PATH TOKEN [BODY]
  if [ -n "${4:-}" ]; then
    curl -s --cacert "$CA" -X "$1" -H "Authorization: Bearer $3" -H 'x-correlator: t-1' -H 'Content-Type: application/json' -d "$4" "$API$2"
  else
    curl -s --cacert "$CA" -X "$1" -H "Authorization: Bearer $3" -H 'x-correlator: t-1' "$API$2"
  fi
}
JB=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer

# 1. client_secret_basic, the whole chain
authorize app
if [ "$RC" = 0 ] && [ -n "$CODE" ] && [ "$(json_get "$OUT" outcome)" = return_url ]; then
  ok "device: authorize -> redirect_uri with the code and the state (exit 0, return_url)"
else
  fail "device: exit $RC $OUT $(cat "$WORK/follow.err")"
fi
r=$(token "$(grant)" -u app:app-secret)
AT=$(json_get "${r#* }" access_token)
[ "${r%% *}" = 200 ] && [ "$(json_get "${r#* }" token_type)" = Bearer ] && [ "$(json_get "${r#* }" expires_in)" -le 300 ] &&
  ok "token: client_secret_basic -> Bearer, expires_in $(json_get "${r#* }" expires_in)" || fail "token basic: $r"
IDT=$(json_get "${r#* }" id_token)
$JWS verify "$WORK/jwks.json" "$IDT" && ok "ID token: ES256, verified by openssl with the JWKS" || fail "ID token does not verify"
[ "$(api POST /number-verification/v2/verify "$AT" '{"phoneNumber":"+41793026727"}')" = '{"devicePhoneNumberVerified":true}' ] &&
  ok "verify +41793026727 -> true" || fail "verify true"
[ "$(api POST /number-verification/v2/verify "$AT" '{"phoneNumber":"+41793026728"}')" = '{"devicePhoneNumberVerified":false}' ] &&
  ok "verify another number -> false" || fail "verify false"
H=$(printf '%s' +41793026727 | sha256sum | cut -c1-64)
[ "$(api POST /number-verification/v2/verify "$AT" "{\"hashedPhoneNumber\":\"$H\"}")" = '{"devicePhoneNumberVerified":true}' ] &&
  ok "verify hashedPhoneNumber -> true" || fail "verify hashed"
[ "$(api GET /number-verification/v2/device-phone-number "$AT")" = '{"devicePhoneNumber":"+41793026727"}' ] &&
  ok "device-phone-number -> +41793026727" || fail "device-phone-number"
x=$(curl -s --cacert "$CA" -D - -o /dev/null -H "Authorization: Bearer $AT" -H 'x-correlator: abc-123' \
  "$API/number-verification/v2/device-phone-number" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-correlator"{print $2}')
[ "$x" = abc-123 ] && ok "x-correlator echoed" || fail "x-correlator: $x"
r=$(token "$(grant)" -u app:app-secret)
[ "${r%% *}" = 400 ] && [ "$(json_get "${r#* }" error)" = invalid_grant ] && ok "code reused -> 400 invalid_grant" || fail "reuse: $r"
c=$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $AT" "$API/number-verification/v2/device-phone-number")
[ "$c" = 401 ] && ok "the reused code's token is revoked -> 401" || fail "revocation: $c"

# 2. client_secret_post
authorize app
r=$(token "$(grant "&client_id=app&client_secret=app-secret")")
[ "${r%% *}" = 200 ] && ok "token: client_secret_post" || fail "token post: $r"

# 3. private_key_jwt: openssl ES256 and RS256, smv (mbedTLS) ES256
for who in ossl-ec ossl-rsa smv-ec; do
  authorize $who
  case $who in
    ossl-ec) A=$($JWS assertion "$WORK/ec.pem" $who "$TOKEN_EP") ;;
    ossl-rsa) A=$($JWS assertion "$WORK/rsa.pem" $who "$API") ;;  # the issuer as aud
    smv-ec) A=$("$SMV" sandbox assertion --key "$WORK/smv.pem" --client-id $who --audience "$TOKEN_EP") ;;
  esac
  r=$(token "$(grant "&client_assertion_type=$JB&client_assertion=$A")")
  [ "${r%% *}" = 200 ] && ok "token: private_key_jwt ($who)" || fail "private_key_jwt $who: $r"
  if [ $who = ossl-ec ]; then
    authorize $who
    r=$(token "$(grant "&client_assertion_type=$JB&client_assertion=$A")")
    [ "${r%% *}" = 401 ] && [ "$(json_get "${r#* }" error)" = invalid_client ] &&
      ok "the same assertion again (jti) -> 401 invalid_client" || fail "replay: $r"
    authorize $who
    B=$($JWS assertion "$WORK/rsa.pem" $who "$TOKEN_EP")
    r=$(token "$(grant "&client_assertion_type=$JB&client_assertion=$B")")
    [ "${r%% *}" = 401 ] && ok "an assertion signed with another key -> 401" || fail "wrong key: $r"
  fi
done

# 4. the other token errors
authorize app
r=$(token "$(grant)" -u app:wrong -D "$WORK/hdr")
[ "${r%% *}" = 401 ] && [ "$(json_get "${r#* }" error)" = invalid_client ] && grep -qi '^WWW-Authenticate: Basic' "$WORK/hdr" &&
  ok "wrong secret -> 401 invalid_client, WWW-Authenticate" || fail "wrong secret: $r"
r=$(token "$(grant | sed 's/code_verifier=[^&]*/code_verifier=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/')" -u app:app-secret)
[ "$(json_get "${r#* }" error)" = invalid_grant ] && ok "wrong PKCE verifier -> invalid_grant" || fail "verifier: $r"
authorize app
r=$(token "$(grant | sed 's/redirect_uri=[^&]*/redirect_uri=myapp%3A%2F%2Fother/')" -u app:app-secret)
[ "$(json_get "${r#* }" error)" = invalid_grant ] && ok "another redirect_uri -> invalid_grant" || fail "redirect_uri: $r"
authorize app
sleep 3.2
r=$(token "$(grant)" -u app:app-secret)
[ "$(json_get "${r#* }" error)" = invalid_grant ] && ok "code after its lifetime (3 s) -> invalid_grant" || fail "expiry: $r"
r=$(token "grant_type=password&username=a" -u app:app-secret)
[ "$(json_get "${r#* }" error)" = unsupported_grant_type ] && ok "grant_type password -> unsupported_grant_type" || fail "grant: $r"

# 5. what the device sees of errors that are not redirected: a 400 page, exit 9
for bad in "client_id=nobody&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback" "client_id=app&redirect_uri=myapp%3A%2F%2Fevil"; do
  OUT=$(timeout 20 "$SMV" follow "$API/oauth2/authorize?response_type=code&$bad&scope=openid&state=s" --return-url "$RU" \
    --carrier lo --cacert "$CA" --json 2>/dev/null); RC=$?
  [ "$RC" = 9 ] && [ "$(json_get "$OUT" http_status)" = 400 ] && ok "device: ${bad%%&*} -> 400, exit 9" || fail "device $bad: $RC $OUT"
done

# 6. header enrichment: authorize -> the operator's endpoint (plain HTTP) -> back -> redirect_uri
cat >"$WORK/he.json" <<J
{"operators": [{"name": "beta", "profile": "header_enrichment"}],
 "subscribers": [{"msisdn": "41780000001", "operator": "beta", "private_ip": "127.0.0.1"}],
 "camara": {"clients": [{"client_id": "app", "client_secret": "app-secret", "redirect_uris": ["$RU"]}]}}
J
start_sandbox he --config "$WORK/he.json"
TOKEN_EP=$API/oauth2/token
authorize app
n=$(printf '%s' "$OUT" | jq '.hops | length')
[ "$RC" = 0 ] && [ -n "$CODE" ] && [ "$n" = 3 ] && ok "header enrichment: 3 hops to the redirect_uri" || fail "he: $RC $OUT"
r=$(token "$(grant)" -u app:app-secret); AT=$(json_get "${r#* }" access_token)
[ "$(api GET /number-verification/v2/device-phone-number "$AT")" = '{"devicePhoneNumber":"+41780000001"}' ] &&
  ok "header enrichment: device-phone-number -> +41780000001" || fail "he share: $r"
finish
