#!/bin/bash
# Scenario 12, header enrichment through a real proxy, as operators do it: the carrier sends its
# subscribers' plain HTTP toward the operator endpoint through a transparent proxy (nginx; nftables
# redirects it) that adds X-MSISDN with the subscriber's number and talks to the endpoint from its
# own address (203.0.113.9). The sandbox's header-enrichment operator believes that header from
# that address only ("trusted_proxies"). WiFi is up and holds the default route.
#   0. the proxy itself, with a test server in the sandbox's place: the header arrives, from the
#      proxy's address, and what the device sent under that name is replaced;
#   1. the verification flow: smv follows the deviceRedirectUrl, its operator hop goes through the
#      proxy, the callback says VALID;
#   2. the operator endpoint reached from outside the proxy with the right number in a forged
#      header: not VALID;
#   3. the device sending a forged header itself (curl through the proxy) for another subscriber's
#      verification: the proxy puts the real number there, so not VALID.
H_CELL=4 H_WIFI=1 H_DEFAULT=wifi H_HE_PROXY=1 H_HE_MSISDN=41780000001
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null 2>&1 || h_skip "needs curl (the app backend's client)"
OTHER=41780000002   # another subscriber of the same operator
BACKEND=203.0.113.200
h_up
ip -n "$H_NET" addr add "$BACKEND/32" dev lo

# ---- 0. the proxy, in front of a test server that logs the headers it receives ----
h_serve '{"routes": {"/he/probe": {"status": 200, "body": "probe\n"}}}' "$H_SERVER4" probe
probe_pid=$!
code=$(ip netns exec "$H_DEV" curl -sS --max-time 5 --interface rmnet_data0 -o /dev/null -w '%{http_code}' \
  -H "$H_HE_HEADER: $OTHER" "http://$H_SERVER4/he/probe" 2>"$H_WORK/curl.err")
h_expect_eq "the device's plain HTTP to the operator endpoint, through the proxy" "$code" 200
h_check "the request reached the endpoint from the proxy's address $H_PROXY4" \
  grep -q "\"peer\":\"$H_PROXY4:" "$H_WORK/probe.log"
h_check "with $H_HE_HEADER: $H_HE_MSISDN, the device's own $OTHER replaced" \
  sh -c "grep -q '\\[\"$H_HE_HEADER\",\"$H_HE_MSISDN\"\\]' '$H_WORK/probe.log' && ! grep -q '$OTHER' '$H_WORK/probe.log'"
h_check "the proxy's log: from the device, got $OTHER, sent $H_HE_MSISDN" \
  grep -q "^$H_DEV4:[0-9]* \"GET /he/probe HTTP/1.1\" 200 got=\"$OTHER\" sent=\"$H_HE_MSISDN\"" "$H_WORK/proxy.log"
kill "$probe_pid"
wait "$probe_pid" 2>/dev/null

# ---- the sandbox, its operator in proxy mode, and the app backend's callback receiver ----
h_sandbox "$(cat <<JSON
{
  "listeners": {"ip": "$H_SERVER4", "api_port": 443, "operator_port": 80,
                "api_host": "$H_SERVER4", "operator_host": "$H_SERVER4"},
  "state_dir": "$H_WORK/sandbox-state",
  "callbacks": {"backoff_ms": 100, "max_attempts": 5},
  "operators": [{"name": "beta-telecom", "profile": "header_enrichment",
                 "trusted_proxies": ["$H_PROXY4"], "msisdn_header": "$H_HE_HEADER"}],
  "subscribers": [{"msisdn": "$H_HE_MSISDN", "operator": "beta-telecom"},
                  {"msisdn": "$OTHER", "operator": "beta-telecom"}]
}
JSON
)"
H_SERVER4=$BACKEND h_serve '{"routes": {"/callback": {"status": 200, "body": "ok\n"}}}' "$BACKEND"
CALLBACK="http://$BACKEND/callback?result={result}&token={token}"

# ---- 1. the flow ----
h_verify "$CALLBACK" "$H_HE_MSISDN"
h_expect_eq "verify status" "$(jget "$H_WORK/verify.json" .status)" REDIRECT
token=$(jget "$H_WORK/verify.json" .token)
h_smv follow "$(jget "$H_WORK/verify.json" .deviceRedirectUrl)" --cacert "$H_SB_CA" --json --max-time 20
h_expect_rc 0
h_expect_json .path.interface rmnet_data0
h_expect_json_match '.hops[1].url' "^http://${H_SERVER4//./\\.}/he/beta-telecom/$token\$"
h_check "the operator hop went through the proxy, which sent $H_HE_MSISDN" \
  grep -q "^$H_DEV4:[0-9]* \"GET /he/beta-telecom/$token HTTP/1.1\" 302 got=\"-\" sent=\"$H_HE_MSISDN\"" \
  "$H_WORK/proxy.log"
h_expect_eq "callback for the flow" "$(h_await_callback "$token")" VALID

# ---- 2. the endpoint reached around the proxy, the right number in a forged header ----
h_verify "$CALLBACK" "$H_HE_MSISDN"
token=$(jget "$H_WORK/verify.json" .token)
ip netns exec "$H_NET" curl -sS --max-time 10 --cacert "$H_SB_CA" -L -o /dev/null \
  -H "$H_HE_HEADER: $H_HE_MSISDN" "$(jget "$H_WORK/verify.json" .deviceRedirectUrl)" 2>>"$H_WORK/curl.err"
result=$(h_await_callback "$token" 50)
h_check "callback for a forged header from outside the proxy: $result, not VALID" \
  test "$result" != VALID -a "$result" != "(none)"

# ---- 3. the device forges the header for another subscriber's verification ----
h_verify "$CALLBACK" "$OTHER"
token=$(jget "$H_WORK/verify.json" .token)
ip netns exec "$H_DEV" curl -sS --max-time 10 --interface rmnet_data0 --cacert "$H_SB_CA" -L -o /dev/null \
  -H "$H_HE_HEADER: $OTHER" "$(jget "$H_WORK/verify.json" .deviceRedirectUrl)" 2>>"$H_WORK/curl.err"
h_check "the proxy replaced the device's $OTHER with $H_HE_MSISDN" \
  grep -q "\"GET /he/beta-telecom/$token HTTP/1.1\" 302 got=\"$OTHER\" sent=\"$H_HE_MSISDN\"" "$H_WORK/proxy.log"
result=$(h_await_callback "$token" 50)
h_check "callback for the device's forged header: $result, not VALID" \
  test "$result" != VALID -a "$result" != "(none)"

h_expect_eq "packets the home router forwarded" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_finish
