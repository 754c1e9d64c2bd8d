#!/bin/bash
# Scenario 10, 464XLAT (RFC 6877): scenario 9's IPv6-only carrier with NAT64 and DNS64, and on the
# device a CLAT as Android makes one: v4-rmnet_data0, a tun holding 192.0.0.4/29 (RFC 7335) beside
# rmnet_data0, its IPv4 traffic translated into the NAT64 prefix by a second tayga and sent out on
# rmnet_data0. WiFi is up and holds the main IPv4 default route (metric 100 against the CLAT's 300).
#
# First the infrastructure, with other clients (these checks hold today): curl over the CLAT, and
# smv told to use it (--interface v4-rmnet_data0, classified cellular by its name). Then the flow of
# issue 13, which needs smv's CLAT support: with no --interface, an IPv4 literal goes through the
# CLAT, part of the same carrier path ("path": {"interface": "rmnet_data0", "clat":
# "v4-rmnet_data0"}), the hop's family is ipv4 and its remote the literal itself. The server sees the
# carrier's public address from the subscriber's port block every time; WiFi sees nothing.
H_CELL=6 H_NAT64=1 H_CLAT=1 H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null 2>&1 || h_skip "needs curl (the infrastructure's own checks)"
h_up
# besides the chain by name, one by IPv4 literals only (/lit)
h_serve "$(h_chain_routes harness-s10 '
  "/lit": {"status": 302, "headers": {"Location": "http://203.0.113.100/lit2"}},
  "/lit2": {"status": 302, "headers": {"Location": "https://203.0.113.100/finish"}},')"

# ---- the infrastructure ----
h_check "v4-rmnet_data0 holds $H_CLAT4/29" \
  sh -c "ip -n $H_DEV -4 addr show dev v4-rmnet_data0 | grep -q 'inet $H_CLAT4/29'"
h_check "rmnet_data0 has no IPv4 address" sh -c "! ip -n $H_DEV -4 addr show dev rmnet_data0 | grep -q inet"
h_check "the main IPv4 default route is on wlan0, the CLAT's after it" \
  sh -c "ip -n $H_DEV -4 route show default | head -n 1 | grep -q 'dev wlan0' &&
         ip -n $H_DEV -4 route show default | grep -q 'dev v4-rmnet_data0'"
h_expect_eq "smv paths: class of v4-rmnet_data0" "$(h_path_class v4-rmnet_data0)" cellular
code=$(ip netns exec "$H_DEV" curl -sS --max-time 5 --interface v4-rmnet_data0 -o /dev/null \
  -w '%{http_code} %{local_ip}' "http://$H_SERVER4/probe" 2>"$H_WORK/curl.err")
h_expect_eq "curl over the CLAT: http://$H_SERVER4/probe (status, local address)" "$code" "200 $H_CLAT4"
h_expect_peers_in_block 1

# smv told to use the CLAT interface itself: the one way that works before smv knows about CLATs
# (literals only: the path's DNS server is IPv6, which v4-rmnet_data0 alone cannot reach)
h_smv follow "https://$H_SERVER4/lit" --interface v4-rmnet_data0 --cacert "$H_CA" --json --max-time 15 \
  --connect-timeout 5
h_expect_rc 0
h_expect_json .token harness-s10
h_expect_json .path.interface v4-rmnet_data0
h_expect_json_match .path.local "^${H_CLAT4//./\\.}:[0-9]+$"
h_expect_peers_in_block 4

# ---- the flow: no --interface, the CLAT used as part of the carrier path ----
before=$(h_server_requests)
h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 15 --connect-timeout 5
h_expect_rc 0
h_expect_json .outcome completed
h_expect_json .token harness-s10
h_expect_json .path.interface rmnet_data0
h_expect_json .path.clat v4-rmnet_data0
h_expect_json .path.class cellular
h_expect_json '.hops|length' 3
h_expect_json '.hops[0].remote' "$H_SERVER4:443"
h_expect_json '.hops[0].family' ipv4
h_expect_json_match .path.local "^${H_CLAT4//./\\.}:[0-9]+$"   # the first connection's
h_expect_json '.hops[2].family' ipv4
h_expect_eq "requests the server saw" "$(($(h_server_requests) - before))" 3
h_expect_peers_in_block 7

h_expect_eq "home router DNS queries" "$(h_dns_total home-dns)" 0
h_expect_eq "packets the home router forwarded" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_expect_eq "neighbour entries on rmnet_data0 for IPv4 (no ARP was tried)" \
  "$(ip -n "$H_DEV" -4 neigh show dev rmnet_data0 | grep -c .)" 0
h_finish
