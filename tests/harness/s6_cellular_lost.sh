#!/bin/bash
# Scenario 6, rmnet_data0 goes down in the middle of a chain. WiFi is up and holds the default route,
# so a client that retried "wherever it can" would succeed through the home router. smv must fail
# instead (SMV_ERR_PATH_LOST, or a connect error; exit 3 or 5), and the home router's counter of
# packets toward the server must stay at zero: no retry on another path.
H_CELL=4 H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {
  "/start": {"status": 302, "headers": {"Location": "/slow"}},
  "/slow":  {"status": 302, "headers": {"Location": "http://svc.example/after"}, "delay_ms": 4000},
  "/after": {"status": 200, "json": {"token": "never", "returnUrl": null}}}}'

h_leak_start
ip netns exec "$H_DEV" "$H_SMV" follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 20 \
  >"$H_WORK/result.json" 2>"$H_WORK/smv.err" &
flow=$!
H_PIDS="$H_PIDS $flow"
# the flow now waits for /slow's answer: take the cellular link away under it
h_wait_file "$H_WORK/server.log" '"target":"/slow"' 100 || h_fail "the flow never asked for /slow"
t0=$(date +%s%N)
ip -n "$H_DEV" link set rmnet_data0 down
wait "$flow"
H_RC=$?
h_leak_mark "smv follow"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))

case $H_RC in
  3) h_pass "exit status 3 (path lost)"; h_expect_json .error.code SMV_ERR_PATH_LOST ;;
  5) h_pass "exit status 5 (connect)"; h_expect_json_match .error.code "^SMV_ERR_CONNECT" ;;
  *) h_fail "exit status $H_RC, expected 3 or 5 (stderr: $(head -c 400 "$H_WORK/smv.err"))" ;;
esac
h_expect_json .outcome error
h_expect_json_match .error.message "rmnet_data0"
h_check "the flow failed within 3 s of the link going down ($ms ms), not at the server's answer" \
  test "$ms" -lt 3000
h_expect_peers_in_block 2
h_check "the server never saw /after" sh -c "! grep -q '\"target\":\"/after\"' '$H_WORK/server.log'"
h_expect_eq "packets the home router forwarded toward the server" \
  "$(h_counter "$H_HOME" smvh_home wifi_to_server)" 0
h_expect_eq "packets the home router forwarded at all" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_expect_eq "home router DNS queries" "$(h_dns_total home-dns)" 0
h_finish
