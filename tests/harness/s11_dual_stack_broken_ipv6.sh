#!/bin/bash
# Scenario 11, a dual-stack carrier whose IPv6 is broken: rmnet_data0 has 100.64.0.2 and
# 2001:db8:100::2, the name on the way (ds.example) has an A and an AAAA record, the server listens
# on both families, and the carrier drops every IPv6 SYN toward the server (nftables; h_break_ipv6).
# WiFi is up and holds the default route. Happy Eyeballs v2 (RFC 8305) on the path, which needs smv's
# support:
#   1. the reference: the same chain through an A-only name (svc.example): no IPv6 to try;
#   2. IPv6 working: the hop by name uses IPv6 (preferred), "family": "ipv6";
#   3. IPv6 broken: the chain completes over IPv4, about 250 ms (the connection attempt delay) later
#      than the reference, far below --connect-timeout, and the IPv6 attempt was made;
#   4. --ipv4 on the broken network: no IPv6 attempt at all;
#   5. --ipv6 with an IPv4 literal: its own error at once (exit 5), nothing sent to the server.
# Times are the flows' own (stats.ms), so process start-up does not count.
H_CELL=46 H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
h_up
routes='{"routes": {
  "/start":  {"status": 302, "headers": {"Location": "http://ds.example/dns"}},
  "/start4": {"status": 302, "headers": {"Location": "http://svc.example/dns"}},
  "/dns":    {"status": 302, "headers": {"Location": "https://203.0.113.100/finish"}},
  "/finish": {"status": 200, "json": {"token": "harness-s11", "returnUrl": null}}}}'
h_serve "$routes"
h_serve "$routes" "$H_SERVER6" server6

ms_of() { h_result .stats.ms | cut -d. -f1; }
v6_syns() { h_counter "$H_CAR" smvh_v6fault v6_syn_dropped; }
CT=5   # --connect-timeout, seconds

# 1. the reference, with no AAAA to try
h_smv follow "https://$H_SERVER4/start4" --cacert "$H_CA" --json --max-time 15 --connect-timeout $CT
h_expect_rc 0
h_expect_json .token harness-s11
base=$(ms_of)

# 2. IPv6 working: preferred for the name
h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 15 --connect-timeout $CT
h_expect_rc 0
h_expect_json .token harness-s11
h_expect_json '.hops[1].family' ipv6
h_expect_json '.hops[1].remote' "[$H_SERVER6]:80"
h_check "the IPv6 server got /dns from the device's IPv6 address" \
  grep -q "\"peer\":\"\\[$H_DEV6\\]:[0-9]*\",\"method\":\"GET\",\"target\":\"/dns\"" "$H_WORK/server6.log"

# 3. IPv6 broken: IPv4 after the connection attempt delay
h_break_ipv6
h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 15 --connect-timeout $CT
h_expect_rc 0
h_expect_json .outcome completed
h_expect_json .token harness-s11
h_expect_json .path.interface rmnet_data0
h_expect_json '.hops[1].family' ipv4
h_expect_json '.hops[1].remote' "$H_SERVER4:80"
h_expect_json '.hops[2].family' ipv4
h_expect_ge "IPv6 SYNs the carrier dropped (IPv6 was tried first)" "$(v6_syns)" 1
broken=$(ms_of)
late=$(( ${broken:-0} - ${base:-0} ))
h_check "broken IPv6 cost $late ms over the reference ($base ms): about 250, not the ${CT} s timeout" \
  test "${broken:-0}" -gt 0 -a "$late" -ge 150 -a "$late" -le 1000

# 4. --ipv4: no IPv6 attempt
syns=$(v6_syns)
h_smv follow "https://$H_SERVER4/start" --ipv4 --cacert "$H_CA" --json --max-time 15 --connect-timeout $CT
h_expect_rc 0
h_expect_json '.hops[1].family' ipv4
h_expect_eq "IPv6 SYNs with --ipv4" "$(( $(v6_syns) - syns ))" 0

# 5. --ipv6 with an IPv4 literal: refused before any packet
syn_server=$(h_counter "$H_NET" smvh syn_to_server)
h_smv follow "https://$H_SERVER4/start" --ipv6 --cacert "$H_CA" --json --max-time 15 --connect-timeout $CT
h_expect_rc 5
h_expect_json_match .error.code '^SMV_ERR_'
h_check "--ipv6 with an IPv4 literal is not a timeout ($(h_result .error.code))" \
  sh -c "grep -q '\"code\":\"SMV_ERR_' '$H_WORK/result.json' && ! grep -q '\"code\":\"SMV_ERR_TIMEOUT' '$H_WORK/result.json'"
h_check "--ipv6 with an IPv4 literal ended at once ($(ms_of) ms)" test "$(ms_of)" -lt 1000
h_expect_eq "SYNs at the server for --ipv6 with an IPv4 literal" \
  "$(( $(h_counter "$H_NET" smvh syn_to_server) - syn_server ))" 0

h_expect_peers_in_block 1
h_expect_eq "home router DNS queries" "$(h_dns_total home-dns)" 0
h_expect_eq "packets the home router forwarded" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_finish
