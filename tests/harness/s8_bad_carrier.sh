#!/bin/bash
# Scenario 8, a bad carrier network, with WiFi up and holding the default route (the tempting way
# out). nftables in the carrier namespace makes the cellular path lossy, then silent (no netem here:
# the drops are deterministic, so the test is too):
#   1. every 4th packet the carrier forwards is dropped, both ways: TCP recovers, the chain completes
#      through rmnet_data0 and the CGNAT, and the drops really happened;
#   2. the carrier swallows the SYNs to the server: the flow ends with SMV_ERR_TIMEOUT_CONNECT after
#      --connect-timeout, not at the whole-flow deadline, and tries no other path;
#   3. the carrier's DNS server is silent: the flow ends with SMV_ERR_TIMEOUT_DNS (exit 10) after
#      --connect-timeout (which covers DNS), and no query goes to the home router's DNS.
# Through all three the home router must forward nothing: a bad carrier never means WiFi.
H_CELL=4 H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {
  "/start":  {"status": 302, "headers": {"Location": "http://203.0.113.100/middle"}},
  "/middle": {"status": 302, "headers": {"Location": "https://203.0.113.100/finish"}},
  "/finish": {"status": 200, "json": {"token": "harness-s8", "returnUrl": null}}}}'

# h_carrier_rules RULES: replaces the carrier's fault table (forward and input hooks) with RULES.
h_carrier_rules() {
  h_ns "$H_CAR" nft delete table inet smvh_fault 2>/dev/null
  h_ns "$H_CAR" nft -f - <<EOF
table inet smvh_fault {
  counter dropped {}
  chain forward {
    type filter hook forward priority -10; policy accept;
    $1
  }
  chain input {
    type filter hook input priority -10; policy accept;
    $2
  }
}
EOF
  [ $? = 0 ] || { h_fail "the carrier's fault rules did not load"; h_finish; }
}

# ms since t0
since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# 1. lossy: a quarter of the carrier's forwarded packets, in either direction, never arrive
h_carrier_rules 'numgen inc mod 4 == 3 counter name dropped drop' ''
h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 40
h_expect_rc 0
h_expect_json .outcome completed
h_expect_json .token harness-s8
h_expect_json .path.interface rmnet_data0
h_expect_peers_in_block 3
h_expect_ge "lossy: packets the carrier dropped" "$(h_counter "$H_CAR" smvh_fault dropped)" 1

# silent_case WHAT URL CONNECT_TIMEOUT_S ERROR: the flow must end with exit 10 and ERROR once the
# connect timeout (which covers DNS) has passed, well before its 20 s deadline, and the carrier must
# have dropped something.
silent_case() {
  local t0 ms
  t0=$(date +%s%N)
  h_smv follow "$2" --cacert "$H_CA" --json --max-time 20 --connect-timeout "$3"
  ms=$(since "$t0")
  h_expect_rc 10
  h_expect_json .error.code "$4"
  h_expect_json .path.interface rmnet_data0
  h_check "$1: ended by the $3 s connect timeout ($ms ms), not the 20 s deadline" \
    test "$ms" -ge $(($3 * 1000 - 100)) -a "$ms" -lt $(($3 * 1000 + 6000))
  h_expect_ge "$1: packets the carrier dropped" "$(h_counter "$H_CAR" smvh_fault dropped)" 1
}

# 2. silent toward the server: every SYN to it vanishes in the carrier
h_carrier_rules "ip daddr $H_SERVER4 tcp flags & (syn | ack) == syn counter name dropped drop" ''
silent_case blackhole "https://$H_SERVER4/start" 2 SMV_ERR_TIMEOUT_CONNECT

# 3. the carrier's DNS server answers nothing
h_carrier_rules '' 'meta l4proto { tcp, udp } th dport 53 counter name dropped drop'
silent_case "silent DNS" "https://svc.example/start" 4 SMV_ERR_TIMEOUT_DNS

h_expect_eq "home router DNS queries" "$(h_dns_total home-dns)" 0
h_expect_eq "packets the home router forwarded at all" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_finish
