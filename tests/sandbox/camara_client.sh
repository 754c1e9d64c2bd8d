#!/bin/sh
# The device client's side of CAMARA (issue 12's client contract) against the sandbox's authorization
# server: `smv follow AUTHORIZE_URL --return-url REDIRECT_URI [--state S]`. The result's
# "authorization" object (code, state, error, error_description; percent-decoded once), exit 0 with a
# code, exit 9 and outcome service_error with error=, exit 8 when --state is missing or different
# (RFC 6749 10.12), exit 9 with SMV_ERR_INTERACTION_REQUIRED at a consent page (200 text/html), and
# no code, state or access token value in -v or the HAR unless --show-secrets. Each error the
# authorization endpoint redirects is provoked for real: access_denied (no subscriber behind the
# connection), invalid_scope, unsupported_response_type, invalid_request (PKCE required, no state),
# consent_required (prompt=none at the consent fault).
. "$(dirname "$0")/lib.sh"
RU=myapp://camara/callback
cat >"$WORK/cfg.json" <<J
{"subscribers": [{"msisdn": "41793026727", "private_ip": "127.0.0.1"}],
 "camara": {"clients": [{"client_id": "app", "client_secret": "app-secret", "redirect_uris": ["$RU"]},
                        {"client_id": "strict", "client_secret": "s", "redirect_uris": ["$RU"], "require_pkce": true}]}}
J
start_sandbox sb --config "$WORK/cfg.json"
AZ="$API/oauth2/authorize?response_type=code&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback"
# follow URL [smv args]: sets OUT RC ERR
follow() {
  local url=$1; shift
  OUT=$(timeout 20 "$SMV" follow "$url" --return-url "$RU" --carrier lo --cacert "$CA" --json "$@" 2>"$WORK/err")
  RC=$?
  ERR=$(cat "$WORK/err")
  ERR1=$(head -n 1 "$WORK/err")
}
# expect NAME WANT_RC KEY=VALUE...: the exit status and result keys (dotted paths), in one python
expect() {
  local name=$1 want=$2 bad; shift 2
  bad=$(python3 - "$OUT" "$@" <<'PY'
import json, sys
try:
    r = json.loads(sys.argv[1])
except ValueError:
    r = None
out = []
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    d = r
    for part in k.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    got = "null" if d is None else str(d)
    if got != v:
        out.append(f"{k} is '{got}', want '{v}'")
print("; ".join(out))
PY
)
  [ "$RC" = "$want" ] || bad="exit $RC, want $want; $bad"
  if [ -z "$bad" ]; then ok "$name"; else fail "$name: $bad ($OUT $ERR1)"; fi
}

# a code: exit 0, return_url, the authorization object
follow "$AZ&client_id=app&scope=openid&state=abc" --state abc
expect "code: exit 0, authorization.code and .state" 0 outcome=return_url authorization.state=abc \
  authorization.error=null authorization.error_description=null
CODE=$(json_get "$OUT" authorization.code)
case "$(json_get "$OUT" final_url)" in *"code=$CODE&"*) [ ${#CODE} = 43 ] && ok "authorization.code is the redirect's code" ||
  fail "code length ${#CODE}";; *) fail "authorization.code '$CODE' not in final_url";; esac

# --state: a different one, or none at all, is exit 8 and no code reported as success
follow "$AZ&client_id=app&scope=openid&state=abc" --state other
expect "--state differs: exit 8" 8 outcome=error
# no state in the authorize request: the sandbox redirects invalid_request without one; --state
# makes that an error either way (8 for the missing state, or 9 for the error), never a success
follow "$AZ&client_id=app&scope=openid" --state abc
{ [ "$RC" = 8 ] || [ "$RC" = 9 ]; } && [ "$(json_get "$OUT" authorization.code)" = null ] &&
  ok "no state: exit $RC, no code" || fail "no state: exit $RC $OUT $ERR1"
# percent-decoded once: state "a%20b" travels as a%2520b
follow "$AZ&client_id=app&scope=openid&state=a%2520b" --state 'a%20b'
expect "state decoded once: 'a%20b'" 0 authorization.state=a%20b

# errors redirected to the redirect_uri: exit 9, service_error, authorization.error
cat >"$WORK/nobody.json" <<J
{"subscribers": [{"msisdn": "41793026727", "private_ip": "127.0.0.2"}],
 "camara": {"clients": [{"client_id": "app", "client_secret": "app-secret", "redirect_uris": ["$RU"]}]}}
J
start_sandbox nobody --config "$WORK/nobody.json"
follow "$API/oauth2/authorize?response_type=code&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback&client_id=app&scope=openid&state=s1" --state s1
expect "no subscriber behind the connection: access_denied, exit 9" 9 outcome=service_error \
  authorization.error=access_denied authorization.state=s1 authorization.code=null
d=$(json_get "$OUT" authorization.error_description)
[ -n "$d" ] && [ "$d" != null ] && ok "access_denied carries error_description" || fail "no error_description: $OUT"
start_sandbox sb2 --config "$WORK/cfg.json"
AZ="$API/oauth2/authorize?response_type=code&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback"
follow "$AZ&client_id=app&scope=openid%20email&state=s2" --state s2
expect "unknown scope: invalid_scope, exit 9" 9 outcome=service_error authorization.error=invalid_scope
follow "$API/oauth2/authorize?response_type=token&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback&client_id=app&scope=openid&state=s3" --state s3
expect "response_type=token: unsupported_response_type, exit 9" 9 authorization.error=unsupported_response_type
follow "$AZ&client_id=strict&scope=openid&state=s4" --state s4
expect "a client that must use PKCE, without it: invalid_request, exit 9" 9 authorization.error=invalid_request

# a consent page (the camara_consent_page fault): interaction required, exit 9, never submitted
cat >"$WORK/consent.json" <<J
{"subscribers": [{"msisdn": "41793026727", "private_ip": "127.0.0.1"}], "faults": {"camara_consent_page": true},
 "camara": {"clients": [{"client_id": "app", "client_secret": "app-secret", "redirect_uris": ["$RU"]}]}}
J
start_sandbox consent --config "$WORK/consent.json"
URL="$API/oauth2/authorize?response_type=code&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback&client_id=app&scope=openid&state=s5"
follow "$URL" --state s5
expect "consent page: SMV_ERR_INTERACTION_REQUIRED, exit 9, final_url the page" 9 \
  error.code=SMV_ERR_INTERACTION_REQUIRED final_url="$URL"
follow "$URL&prompt=none" --state s5
expect "consent page with prompt=none: consent_required, exit 9" 9 authorization.error=consent_required

# secrets: neither -v nor the HAR shows the code or the state unless --show-secrets
start_sandbox sb3 --config "$WORK/cfg.json"
AZ="$API/oauth2/authorize?response_type=code&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback"
follow "$AZ&client_id=app&scope=openid&state=SeCrEtStAtE42" --state SeCrEtStAtE42 -v --har "$WORK/a.har"
CODE=$(json_get "$OUT" authorization.code)
if [ "$RC" = 0 ] && [ -n "$CODE" ] && [ "$CODE" != null ]; then
  if printf '%s' "$ERR" | grep -q -e "$CODE" -e SeCrEtStAtE42; then fail "-v shows the code or the state"; else ok "-v hides code and state"; fi
  if grep -q -e "$CODE" -e SeCrEtStAtE42 "$WORK/a.har"; then fail "the HAR shows the code or the state"; else ok "the HAR hides code and state"; fi
else
  fail "secrets: no code ($RC $OUT)"
fi
follow "$AZ&client_id=app&scope=openid&state=SeCrEtStAtE42" --state SeCrEtStAtE42 -v --show-secrets
[ "$RC" = 0 ] && printf '%s' "$ERR" | grep -q SeCrEtStAtE42 && ok "--show-secrets shows them" || fail "--show-secrets: exit $RC $ERR1"
finish
