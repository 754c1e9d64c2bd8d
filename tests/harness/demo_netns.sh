#!/bin/bash
# `smv demo --netns` (and ctest harness.demo_netns): the silent-verification flow of `smv demo`,
# but across the namespace harness instead of loopback. The device (its default route on WiFi) opens
# the deviceRedirectUrl without being told which interface to use; smv picks rmnet_data0, the
# carrier's CGNAT rewrites the source to 203.0.113.1 with a port from the subscriber's block, and
# the sandbox, configured with that same block as the operator's records, recognises the subscriber.
#
#   internet namespace: the sandbox on 203.0.113.100 (service API on 443, operator endpoint on 80)
#   carrier namespace:  the operator's enrichment proxy (nginx, transparent: the carrier redirects
#                       the device's plain HTTP to the operator endpoint into it), which adds
#                       X-MSISDN and talks to the sandbox from its own address 203.0.113.9
#                       the app backend on 203.0.113.200 (curl for its requests, `smv testserver` as
#                       its callback receiver and its /start API)
#   device namespace:   smv follow / smv report, no --interface, no --carrier
#
# Four flows, as in `smv demo`: IP/port matching (REDIRECT), header enrichment (the operator's
# proxy names the subscriber in X-MSISDN; the sandbox's operator believes that header from the
# proxy's address only: trusted_proxies), deviceIp/devicePort (the backend passes on the address
# and port it saw; status OK), and CAMARA Number Verification (the device follows the backend's
# authorize URL through the CGNAT, the operator's records name the subscriber; the backend exchanges
# the code with private_key_jwt, signed by `smv sandbox assertion` with mbedTLS, and calls /verify and
# /device-phone-number). Exit 0 only when all four say VALID. $1 is the smv binary; -v prints the
# sandbox's own log at the end.
MSISDN_HE=41780000001
H_CELL=4 H_WIFI=1 H_DEFAULT=wifi H_NAME=demo-netns H_HE_PROXY=1 H_HE_MSISDN=$MSISDN_HE
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1 || h_skip "needs jq and openssl (the CAMARA flow's backend)"
command -v curl >/dev/null 2>&1 || h_skip "needs curl (the app backend's client)"
VERBOSE=0
[ "${2:-}" = -v ] && VERBOSE=1

MSISDN_IPPORT=41793026727
BACKEND=203.0.113.200

say() { printf '%s\n' "$*"; }

h_up
ip -n "$H_NET" addr add "$BACKEND/32" dev lo
say "topology: device (rmnet_data0 $H_DEV4 -> carrier CGNAT $H_PUBLIC4:$H_BLOCK_LO-$H_BLOCK_HI;"
say "          wlan0 192.0.2.2 -> home router, holding the default route), internet (sandbox $H_SERVER4)"

# CAMARA: the backend's client key (its public half goes into the sandbox's configuration)
"$H_SMV" sandbox keygen "$H_WORK/camara-client.pem" >"$H_WORK/camara-client.pub" ||
  { h_fail "smv sandbox keygen"; exit 1; }
CAMARA_PUB=$(jq -Rs . <"$H_WORK/camara-client.pub")
CAMARA_RU=myapp://camara/callback
h_sandbox "$(cat <<JSON
{
  "listeners": {"ip": "$H_SERVER4", "api_port": 443, "operator_port": 80,
                "api_host": "$H_SERVER4", "operator_host": "$H_SERVER4"},
  "state_dir": "$H_WORK/sandbox-state",
  "callbacks": {"backoff_ms": 100, "max_attempts": 5},
  "operators": [
    {"name": "alpha-mobile", "profile": "ip_port", "public_ipv4": "$H_PUBLIC4"},
    {"name": "beta-telecom", "profile": "header_enrichment",
     "trusted_proxies": ["$H_PROXY4"], "msisdn_header": "$H_HE_HEADER"}
  ],
  "subscribers": [
    {"msisdn": "$MSISDN_IPPORT", "operator": "alpha-mobile", "ports": [$H_BLOCK_LO, $H_BLOCK_HI]},
    {"msisdn": "$MSISDN_HE", "operator": "beta-telecom"}
  ],
  "camara": {"operator": "alpha-mobile", "clients": [{"client_id": "demo-backend", "public_key": $CAMARA_PUB,
             "redirect_uris": ["$CAMARA_RU"], "require_pkce": true}]}
}
JSON
)"
API=$H_SB_API
SB_CA=$H_SB_CA
say "sandbox: service API $API, operators alpha-mobile (IP/port, subscriber port block"
say "         $H_BLOCK_LO-$H_BLOCK_HI on $H_PUBLIC4) and beta-telecom (header enrichment: $H_HE_HEADER"
say "         believed only from its proxy $H_PROXY4)"

# the app backend: callback receiver and its own API for the device's report
H_SERVER4=$BACKEND h_serve '{"routes": {
  "/callback": {"status": 200, "body": "ok\n"},
  "/start":    {"status": 200, "json": {"status": "received"}}}}' "$BACKEND"
CALLBACK="http://$BACKEND/callback?result={result}&token={token}"
say "backend: callbacks on http://$BACKEND/callback, its API on https://$BACKEND"

# verify MSISDN [DEVICE_IP DEVICE_PORT]: the backend's POST; the answer in verify.json
verify() {
  h_verify "$CALLBACK" "$@"
  say "    backend -> sandbox: POST $API/mi/verification/1/verify $H_VERIFY_BODY"
  say "    sandbox -> backend: $(cat "$H_WORK/verify.json")"
}

# show_device: the device's hops and path from result.json
show_device() {
  local i n
  n=$(h_result '.hops|length')
  for i in $(seq 0 $((${n:-0} - 1))); do
    say "    device: hop $((i + 1))  $(h_result ".hops[$i].url") -> $(h_result ".hops[$i].status")  ($(h_result ".hops[$i].tls"), $(h_result ".hops[$i].remote"))"
  done
  if [ "$H_RC" = 0 ]; then
    say "    device: done via $(h_result .path.interface) ($(h_result .path.class)), local $(h_result .path.local)"
  else
    say "    device: failed, exit $H_RC: $(h_result .error.code) $(h_result .error.message)"
  fi
}

RESULTS=()
# conclude N: records flow N's callback result
conclude() {
  local token result
  token=$(jget "$H_WORK/verify.json" .token)
  result=$(h_await_callback "$token")
  say "    sandbox -> backend: callback result=$result token=$token"
  say "  => result $result"
  say ""
  RESULTS[$1]=$result
}

device_flow() { # the REDIRECT flows
  local url
  url=$(jget "$H_WORK/verify.json" .deviceRedirectUrl)
  if [ "$(jget "$H_WORK/verify.json" .status)" != REDIRECT ] || [ -z "$url" ] || [ "$url" = null ]; then
    h_fail "expected a REDIRECT with a deviceRedirectUrl"
    return
  fi
  say "    backend -> device: please open $url"
  say "    device: smv follow (no --interface: smv chooses the path)"
  h_smv follow "$url" --cacert "$SB_CA" --json --max-time 20
  show_device
  [ "$H_RC" = 0 ] || h_fail "device flow exit $H_RC"
  [ "$(h_result .path.interface)" = rmnet_data0 ] || h_fail "the device did not use rmnet_data0"
}

say ""
say "1) Operator with IP/port matching (its CGNAT records), REDIRECT flow"
verify "$MSISDN_IPPORT"
device_flow
conclude 0

say "2) Operator with header enrichment, REDIRECT flow through the operator's HTTP endpoint"
say "   (the carrier's transparent proxy adds $H_HE_HEADER: $H_HE_MSISDN for $H_DEV4)"
verify "$MSISDN_HE"
device_flow
say "    proxy: $(grep -c '"GET /he/' "$H_WORK/proxy.log" 2>/dev/null) enriched request(s): $(grep '"GET /he/' "$H_WORK/proxy.log" 2>/dev/null | tail -n 1 | sed 's/ "GET [^"]*"//')"
grep -q "\"GET /he/[^\"]*\" [0-9]* got=\"[^\"]*\" sent=\"$MSISDN_HE\"" "$H_WORK/proxy.log" 2>/dev/null ||
  h_fail "the operator hop did not go through the enrichment proxy"
conclude 1

say "3) deviceIp/devicePort flow: the device reports to the backend, status OK, no redirect"
say "    device: smv report POST https://$BACKEND/start"
requests=$(h_server_requests)
h_smv report "https://$BACKEND/start" -d '{"action":"login"}' --cacert "$H_CA" --json --max-time 20
show_device
peer=$(tail -n +$((requests + 1)) "$H_WORK/server.log" | grep -o '"peer":"[^"]*"' | head -n 1 | sed 's/"peer":"//; s/"$//')
say "    device -> backend: POST /start seen from ${peer:-nothing}"
if [ -n "$peer" ]; then
  verify "$MSISDN_IPPORT" "${peer%:*}" "${peer##*:}"
  [ "$(jget "$H_WORK/verify.json" .status)" = OK ] || h_fail "expected status OK"
else
  h_fail "the backend saw no report"
  echo '{}' >"$H_WORK/verify.json"
fi
conclude 2

say "4) CAMARA Number Verification: OpenID Connect authorization code flow on the carrier path,"
say "   then /verify and /device-phone-number with the access token"
b64url() { base64 | tr '+/' '-_' | tr -d '=\n'; }
camara_flow() {
  local disc az tok verifier challenge state url code assertion at v n
  disc=$(ip netns exec "$H_NET" curl -sS --max-time 10 --cacert "$SB_CA" "$API/.well-known/openid-configuration")
  az=$(printf '%s' "$disc" | jq -r .authorization_endpoint); tok=$(printf '%s' "$disc" | jq -r .token_endpoint)
  say "    backend -> sandbox: GET $API/.well-known/openid-configuration"
  verifier=$(head -c 32 /dev/urandom | b64url)
  challenge=$(printf '%s' "$verifier" | openssl dgst -sha256 -binary | b64url)
  state=$(head -c 16 /dev/urandom | b64url)
  url="$az?response_type=code&client_id=demo-backend&redirect_uri=myapp%3A%2F%2Fcamara%2Fcallback"
  url="$url&scope=openid%20number-verification%3Averify%20number-verification%3Adevice-phone-number%3Aread"
  url="$url&state=$state&code_challenge=$challenge&code_challenge_method=S256&prompt=none"
  say "    backend -> device: please open the authorize URL (PKCE S256, state, prompt=none)"
  say "    device: smv follow AUTHORIZE_URL --return-url $CAMARA_RU (no --interface: smv chooses the path)"
  h_smv follow "$url" --return-url "$CAMARA_RU" --state "$state" --cacert "$SB_CA" --json --max-time 20
  show_device
  [ "$H_RC" = 0 ] || { h_fail "CAMARA device flow exit $H_RC"; RESULTS[3]=device-failed; return; }
  [ "$(h_result .path.interface)" = rmnet_data0 ] || h_fail "the device did not use rmnet_data0"
  # smv checked this flow's state (RFC 6749 10.12) and decoded the code: the result's authorization
  code=$(h_result .authorization.code)
  [ -n "$code" ] && [ "$code" != null ] || { h_fail "no code in the result"; RESULTS[3]=no-code; return; }
  say "    device -> backend: the redirect_uri's code (state checked)"
  assertion=$("$H_SMV" sandbox assertion --key "$H_WORK/camara-client.pem" --client-id demo-backend --audience "$tok")
  say "    backend -> sandbox: POST $tok (code, PKCE verifier, private_key_jwt ES256)"
  at=$(ip netns exec "$H_NET" curl -sS --max-time 10 --cacert "$SB_CA" \
    --data-urlencode grant_type=authorization_code --data-urlencode "code=$code" \
    --data-urlencode "redirect_uri=$CAMARA_RU" --data-urlencode "code_verifier=$verifier" \
    --data-urlencode client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
    --data-urlencode "client_assertion=$assertion" "$tok" | jq -r .access_token)
  [ -n "$at" ] && [ "$at" != null ] || { h_fail "no access token"; RESULTS[3]=no-token; return; }
  v=$(ip netns exec "$H_NET" curl -sS --max-time 10 --cacert "$SB_CA" -H "Authorization: Bearer $at" \
    -H 'Content-Type: application/json' -d "{\"phoneNumber\":\"+$MSISDN_IPPORT\"}" \
    "$API/number-verification/v2/verify" | jq -r .devicePhoneNumberVerified)
  say "    sandbox -> backend: verify +$MSISDN_IPPORT: devicePhoneNumberVerified $v"
  n=$(ip netns exec "$H_NET" curl -sS --max-time 10 --cacert "$SB_CA" -H "Authorization: Bearer $at" \
    "$API/number-verification/v2/device-phone-number" | jq -r .devicePhoneNumber)
  say "    sandbox -> backend: device-phone-number $n"
  if [ "$v" = true ] && [ "$n" = "+$MSISDN_IPPORT" ]; then RESULTS[3]=VALID; else RESULTS[3]=INVALID; fi
  say "  => result ${RESULTS[3]}"
  say ""
}
camara_flow

h_leak_settle
say "What the WiFi side saw: $(h_counter "$H_HOME" smvh_home wifi_forwarded) packets forwarded by the home router, $(h_dns_total home-dns) DNS queries"
[ "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" = 0 ] || h_fail "traffic left through the home router"
[ "$VERBOSE" = 1 ] && { say "---- sandbox log"; cat "$H_WORK/sandbox.err"; }

say "Summary:"
say "  IP/port matching (CGNAT)  ${RESULTS[0]}"
say "  header enrichment         ${RESULTS[1]}"
say "  deviceIp/devicePort       ${RESULTS[2]}"
say "  CAMARA Number Verif.      ${RESULTS[3]:-(none)}"
[ "${#RESULTS[@]}" = 4 ] || h_fail "only ${#RESULTS[@]} of four flows gave a result"
for r in "${RESULTS[@]}"; do [ "$r" = VALID ] || h_fail "a verification ended $r"; done
if [ "$H_FAILS" = 0 ]; then say "demo --netns: all four verifications VALID"; exit 0; fi
say "demo --netns: FAILED"
exit 1
