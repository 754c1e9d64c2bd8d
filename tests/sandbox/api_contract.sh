#!/bin/sh
# The verify API and the device endpoint driven by curl as an independent client: every validation
# error id (422 EC_UNPROCESSABLE_CONTENT included), 401, OK, REDIRECT, ERROR-202 with its callback,
# EC_INVALID_TOKEN for unknown, reused and expired tokens, ERROR-305 when the device never comes,
# ERROR-306 for a deviceIp outside the operator's network, and the zero-rated API's own errors.
. "$(dirname "$0")/lib.sh"
cat >"$WORK/cfg.json" <<'J'
{"faults": {"token_ttl_ms": 3000}, "callbacks": {"backoff_ms": 100}}
J
start_sandbox sb --config "$WORK/cfg.json"
start_receiver "$WORK/calls"
CB="http://127.0.0.1:$RPORT/cb?result={result}&token={token}"

# expect_error NAME WANT_STATUS WANT_ID BODY [curl args]
expect_error() {
  local name=$1 st=$2 id=$3 body=$4; shift 4
  local r; r=$(verify "$body" "$@")
  local got_st=${r%% *} json=${r#* }
  if [ "$got_st" = "$st" ] && [ "$(json_get "$json" error.id)" = "$id" ] &&
     [ "$(json_get "$json" status)" = "ERROR" ] && [ -n "$(json_get "$json" error.name)" ]; then
    ok "$name -> $st $id"
  else
    fail "$name: want $st/$id, got $r"
  fi
}
P='"phoneNumber":"41793026727"'
C="\"callbackUrl\":\"$CB\""
expect_error "wrong password" 401 1001 "{$P,$C,\"consentGranted\":true}" -u sandbox:wrong
r=$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{}' "$API/mi/verification/1/verify")
[ "$r" = 401 ] && ok "no credentials -> 401" || fail "no credentials: $r"
r=$(curl -s --cacert "$CA" -w ' %{http_code}' -u "$USER_:$PASS" -H 'Content-Type: text/plain' \
  --data-binary "{$P,$C,\"consentGranted\":true}" "$API/mi/verification/1/verify")
case "$r" in *'"id":1002'*" 415") ok "text/plain -> 415 1002";; *) fail "text/plain: $r";; esac
big=$(python3 -c 'print("{\"x\":\"" + "a"*9000 + "\"}")')
expect_error "body over the limit" 413 1003 "$big"
expect_error "malformed JSON" 400 1004 "{$P,"
expect_error "not an object" 422 400 "[1]"
expect_error "phoneNumber a number" 422 400 "{\"phoneNumber\":41793026727,$C,\"consentGranted\":true}"
expect_error "consentGranted a string" 422 400 "{$P,$C,\"consentGranted\":\"true\"}"
r=$(verify "[1]")
case "$r" in *'"name":"EC_UNPROCESSABLE_CONTENT"'*) ok "422 names EC_UNPROCESSABLE_CONTENT";; *) fail "422 name: $r";; esac
expect_error "missing phoneNumber" 400 1008 "{$C,\"consentGranted\":true}"
expect_error "missing callbackUrl" 400 1008 "{$P,\"consentGranted\":true}"
expect_error "phone with +" 400 1010 "{\"phoneNumber\":\"+41793026727\",$C,\"consentGranted\":true}"
expect_error "phone too short" 400 1010 "{\"phoneNumber\":\"417930\",$C,\"consentGranted\":true}"
expect_error "callback not http" 400 1011 "{$P,\"callbackUrl\":\"ftp://x/?a={result}&b={token}\",\"consentGranted\":true}"
expect_error "callback without {token}" 400 1012 "{$P,\"callbackUrl\":\"http://x/?a={result}\",\"consentGranted\":true}"
expect_error "placeholders in the path" 400 1012 "{$P,\"callbackUrl\":\"http://x/{result}/{token}\",\"consentGranted\":true}"
expect_error "returnUrl not a URL" 400 1014 "{$P,$C,\"consentGranted\":true,\"returnUrl\":\"not a url\"}"
# what the device client's URL parser refuses, the sandbox refuses (issue 10)
expect_error "returnUrl with braces" 400 1014 "{$P,$C,\"consentGranted\":true,\"returnUrl\":\"myapp://done/{x}\"}"
expect_error "returnUrl with an empty label" 400 1014 "{$P,$C,\"consentGranted\":true,\"returnUrl\":\"https://app..example.com/\"}"
expect_error "returnUrl with a bad escape" 400 1014 "{$P,$C,\"consentGranted\":true,\"returnUrl\":\"myapp://done/%zz\"}"
expect_error "callback with an empty label" 400 1011 "{$P,\"callbackUrl\":\"https://app..example.com/?r={result}&t={token}\",\"consentGranted\":true}"
expect_error "callback with a bad escape" 400 1011 "{$P,\"callbackUrl\":\"https://app.example/%zz?r={result}&t={token}\",\"consentGranted\":true}"
expect_error "deviceIp bad" 400 1015 "{$P,$C,\"consentGranted\":true,\"deviceIp\":\"300.1.1.1\",\"devicePort\":1}"
expect_error "devicePort 0" 400 1016 "{$P,$C,\"consentGranted\":true,\"deviceIp\":\"127.0.0.1\",\"devicePort\":0}"
expect_error "devicePort alone" 400 1017 "{$P,$C,\"consentGranted\":true,\"devicePort\":443}"
expect_error "unknown subscriber" 200 1020 "{\"phoneNumber\":\"41000000000\",$C,\"consentGranted\":true}"

# ERROR-202: HTTP 200, a token, and the callback ERROR-202 with that token
r=$(verify "{$P,$C,\"consentGranted\":false}"); json=${r#* }
tok=$(json_get "$json" token)
if [ "${r%% *}" = 200 ] && [ "$(json_get "$json" error.id)" = 202 ] &&
   [ "$(json_get "$json" error.name)" = EC_CONSENT_NOT_GRANTED ]; then ok "consent false -> ERROR 202"
else fail "consent false: $r"; fi
wait_for "$WORK/calls" "result=ERROR-202&token=$tok" 5 && ok "callback ERROR-202 with the token" ||
  fail "no ERROR-202 callback for $tok"

# OK: deviceIp/devicePort given, the check runs at once
r=$(verify "{$P,$C,\"consentGranted\":true,\"deviceIp\":\"127.0.0.1\",\"devicePort\":40000}"); json=${r#* }
tok=$(json_get "$json" token)
[ "$(json_get "$json" status)" = OK ] && ok "deviceIp given -> OK" || fail "OK: $r"
wait_for "$WORK/calls" "result=VALID&token=$tok" 5 && ok "callback VALID" || fail "no VALID callback"

# REDIRECT, then the device endpoint: 200 with the token and returnUrl null; then reuse -> 201
r=$(verify "{$P,$C,\"consentGranted\":true}"); json=${r#* }
tok=$(json_get "$json" token); dev=$(json_get "$json" deviceRedirectUrl)
[ "$(json_get "$json" status)" = REDIRECT ] && [ "$dev" = "$API/mi/device/$tok" ] && ok "REDIRECT" || fail "REDIRECT: $r"
d=$(curl -s --cacert "$CA" -w ' %{http_code}' "$dev")
[ "$d" = "{\"token\":\"$tok\",\"returnUrl\":null} 200" ] && ok "device endpoint -> 200 token, returnUrl null" || fail "device: $d"
wait_for "$WORK/calls" "result=VALID&token=$tok" 5 && ok "callback VALID after the device" || fail "no callback"
d=$(curl -s --cacert "$CA" -w ' %{http_code}' "$dev")
case "$d" in *'"id":201,"name":"EC_INVALID_TOKEN","description":"Token is invalid or does not exist"'*" 400") ok "reused token -> 400 201";; *) fail "reuse: $d";; esac
d=$(curl -s --cacert "$CA" -w ' %{http_code}' "$API/mi/device/00000000-0000-4000-8000-000000000000")
case "$d" in *'"id":201'*" 400") ok "unknown token -> 400 201";; *) fail "unknown: $d";; esac

# returnUrl: 302 to it
r=$(verify "{$P,$C,\"consentGranted\":true,\"returnUrl\":\"myapp://verified\"}"); json=${r#* }
loc=$(curl -s --cacert "$CA" -o /dev/null -D - "$(json_get "$json" deviceRedirectUrl)" | tr -d '\r' |
  awk 'NR==1{s=$2} tolower($1)=="location:"{l=$2} END{print s, l}')
[ "$loc" = "302 myapp://verified" ] && ok "returnUrl -> 302" || fail "returnUrl: $loc"

# expiry (TTL 3 s, ample for the steps above on a loaded machine): 400 201, and the callback ERROR-305 (the device never opened it in time);
# a second token that nobody opens gets ERROR-305 from the sweep
r=$(verify "{$P,$C,\"consentGranted\":true}"); json=${r#* }; tok=$(json_get "$json" token)
r2=$(verify "{$P,$C,\"consentGranted\":true}"); tok2=$(json_get "${r2#* }" token)
sleep 3.3
d=$(curl -s --cacert "$CA" -w ' %{http_code}' "$(json_get "$json" deviceRedirectUrl)")
case "$d" in *'"id":201'*" 400") ok "expired token -> 400 201";; *) fail "expired: $d";; esac
wait_for "$WORK/calls" "result=ERROR-305&token=$tok" 5 && ok "callback ERROR-305 on expiry" || fail "no expiry callback"
wait_for "$WORK/calls" "result=ERROR-305&token=$tok2" 5 && ok "callback ERROR-305 from the sweep" || fail "no ERROR-305 from the sweep"

# ERROR-306: the backend's deviceIp is outside the operator's network (here: its subscribers' addresses)
r=$(verify "{$P,$C,\"consentGranted\":true,\"deviceIp\":\"192.0.2.7\",\"devicePort\":40000}"); json=${r#* }
tok=$(json_get "$json" token)
[ "$(json_get "$json" status)" = OK ] && wait_for "$WORK/calls" "result=ERROR-306&token=$tok" 5 &&
  ok "deviceIp outside the operator -> callback ERROR-306" || fail "ERROR-306: $r"

# the zero-rated API's own errors (the flow itself, with the device, is in end_to_end.sh)
zr() { curl -s --cacert "$CA" -w ' %{http_code}' -u "$USER_:$PASS" -H 'Content-Type: application/json' \
  --data-binary "$2" "$API/mi/verification/1/$1"; }
d=$(zr verify/zero-rated '{"token":"00000000-0000-4000-8000-000000000000"}')
case "$d" in *'"id":201,"name":"EC_INVALID_TOKEN"'*" 400") ok "zero-rated: unknown token -> 400 201";; *) fail "zero-rated unknown: $d";; esac
d=$(zr verify/zero-rated '{"token":7}')
case "$d" in *'"id":400'*" 422") ok "zero-rated: token a number -> 422 400";; *) fail "zero-rated type: $d";; esac
d=$(zr verify/zero-rated '{}')
case "$d" in *'"id":1008'*" 400") ok "zero-rated: no token -> 400 1008";; *) fail "zero-rated missing: $d";; esac
d=$(zr zero-rated/init "{$P,\"consentGranted\":false}")
case "$d" in *'"id":202'*" 200") ok "zero-rated init: no consent -> ERROR 202";; *) fail "zero-rated consent: $d";; esac
d=$(zr zero-rated/init "{$P,\"consentGranted\":true}"); zt=$(json_get "${d% *}" token)
d=$(zr verify/zero-rated "{\"token\":\"$zt\"}")
case "$d" in *'"id":1022,"name":"EC_DEVICE_NOT_SEEN"'*" 409") ok "zero-rated: before the device -> 409 1022";; *) fail "zero-rated early: $d";; esac

# robustness: a header flood and a wrong method, then the sandbox still answers
hdrs=$(python3 -c 'print(" ".join("-H X-F%d:%s" % (i, "v"*200) for i in range(120)))')
# shellcheck disable=SC2086
code=$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code}' $hdrs "$API/mi/device/x")
[ "$code" = 431 ] && ok "header flood -> 431" || fail "header flood: $code"
code=$(curl -s --cacert "$CA" -o /dev/null -w '%{http_code}' "$API/mi/verification/1/verify")
[ "$code" = 405 ] && ok "GET verify -> 405" || fail "GET verify: $code"
r=$(verify "{$P,$C,\"consentGranted\":true}")
[ "${r%% *}" = 200 ] && ok "still serving" || fail "after abuse: $r"

# SIGTERM drains and exits 0
kill -TERM "$SBPID"; wait "$SBPID"; rc=$?
[ "$rc" = 0 ] && ok "SIGTERM -> exit 0" || fail "SIGTERM exit $rc"
finish
