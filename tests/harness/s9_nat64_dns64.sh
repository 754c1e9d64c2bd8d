#!/bin/bash
# Scenario 9, an IPv6-only carrier with NAT64 and DNS64, as large mobile operators run them: the
# device's rmnet_data0 has only 2001:db8:100::2; the carrier translates 2001:db8:64::/96 to IPv4
# (tayga, a network-specific prefix, then its CGNAT), and its DNS (unbound with dns64) synthesises
# AAAA records from A records. WiFi is up and holds the IPv4 default route: an IPv4 socket that is not
# bound to an address of the path would leave there, or ARP on rmnet_data0 with WiFi's address.
#
# First the infrastructure, with other clients (these checks hold today): the DNS64's answers and a
# plain curl over the NAT64. Then the flows of issue 13, which need smv's NAT64 support:
#   1. an IPv4 literal as the first URL (https://203.0.113.100/start), an A-only name on the way
#      (http://svc.example/dns) and the literal again: RFC 7050 discovery (ipv4only.arpa AAAA on the
#      path's DNS), the literal synthesised under the prefix (hop remote [2001:db8:64::cb00:7164]:443,
#      url keeps the literal, family ipv6), the certificate checked against the literal;
#   2. a native IPv6 first hop whose Location is an IPv4 literal.
# Throughout: the server sees the carrier's public address from the subscriber's port block, the
# home router sees nothing, and nothing with a foreign source address appears on rmnet_data0 (the
# leak counters of lib.sh).
H_CELL=6 H_NAT64=1 H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null 2>&1 || h_skip "needs curl (the infrastructure's own checks)"
h_up
h_serve "$(h_chain_routes harness-s9)"
h_serve '{"routes": {
  "/v6start": {"status": 302, "headers": {"Location": "https://203.0.113.100/finish"}}}}' "$H_SERVER6" server6

# ---- the infrastructure ----
h_check "rmnet_data0 has no IPv4 address" sh -c "! ip -n $H_DEV -4 addr show dev rmnet_data0 | grep -q inet"
h_check "the IPv4 default route is on wlan0" \
  sh -c "ip -n $H_DEV -4 route show default | head -n 1 | grep -q 'dev wlan0'"
wka=$(h_dns_ask "$H_DEV" 2001:db8:53::53 ipv4only.arpa AAAA | sort | tr '\n' ' ')
h_expect_eq "DNS64: ipv4only.arpa AAAA (address TTL)" "$wka" "2001:db8:64::c000:aa 3600 2001:db8:64::c000:ab 3600 "
h_expect_eq "DNS64: svc.example AAAA, synthesised from its A record" \
  "$(h_dns_ask "$H_DEV" 2001:db8:53::53 svc.example AAAA | cut -d' ' -f1)" "$H_NAT64_SERVER4"
h_expect_eq "DNS64: svc6.example AAAA, its own" \
  "$(h_dns_ask "$H_DEV" 2001:db8:53::53 svc6.example AAAA | cut -d' ' -f1)" "$H_SERVER6"
code=$(ip netns exec "$H_DEV" curl -sS --max-time 5 --interface rmnet_data0 -o /dev/null -w '%{http_code}' \
  "http://[$H_NAT64_SERVER4]/probe" 2>"$H_WORK/curl.err")
h_expect_eq "curl over the NAT64: http://[$H_NAT64_SERVER4]/probe" "$code" 200
h_expect_peers_in_block 1
probes=$(h_server_requests)
wka_q=$(h_dns_queries carrier-dns ipv4only.arpa AAAA)
svc_q=$(h_dns_queries carrier-dns svc.example AAAA)

# ---- 1. an IPv4 literal first, an A-only name on the way ----
h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 15 --connect-timeout 5
h_expect_rc 0
h_expect_json .outcome completed
h_expect_json .token harness-s9
h_expect_json .path.interface rmnet_data0
h_expect_json_match .path.local "^\[$H_DEV6\]:[0-9]+$"
h_expect_json '.hops|length' 3
h_expect_json '.hops[0].url' "https://$H_SERVER4/start"
h_expect_json '.hops[0].remote' "[$H_NAT64_SERVER4]:443"
h_expect_json '.hops[0].family' ipv6
h_expect_json '.hops[1].remote' "[$H_NAT64_SERVER4]:80"
h_expect_json '.hops[2].url' "https://$H_SERVER4/finish"
h_expect_eq "requests the server saw" "$(($(h_server_requests) - probes))" 3
h_expect_peers_in_block 4
h_expect_ge "ipv4only.arpa AAAA queries smv sent the carrier's DNS64 (RFC 7050)" \
  "$(($(h_dns_queries carrier-dns ipv4only.arpa AAAA) - wka_q))" 1
h_expect_ge "svc.example AAAA queries smv sent the carrier's DNS64" \
  "$(($(h_dns_queries carrier-dns svc.example AAAA) - svc_q))" 1
h_expect_eq "queries that came from another address than the device's" \
  "$(h_dns_lines carrier-dns | awk -v a="$H_DEV6" '$3 != a' | grep -c .)" 0

# ---- 2. a native IPv6 first hop, an IPv4 literal in its Location ----
before=$(h_server_requests)
h_smv follow "https://[$H_SERVER6]/v6start" --cacert "$H_CA_ALL" --json --max-time 15 --connect-timeout 5
h_expect_rc 0
h_expect_json .token harness-s9
h_expect_json '.hops|length' 2
h_expect_json '.hops[0].remote' "[$H_SERVER6]:443"
h_expect_json '.hops[1].url' "https://$H_SERVER4/finish"
h_expect_json '.hops[1].remote' "[$H_NAT64_SERVER4]:443"
h_expect_json '.hops[1].family' ipv6
h_expect_eq "requests the IPv4 server saw for the Location" "$(($(h_server_requests) - before))" 1

h_expect_eq "home router DNS queries" "$(h_dns_total home-dns)" 0
h_expect_eq "packets the home router forwarded" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_expect_eq "neighbour entries on rmnet_data0 for IPv4 (no ARP was tried)" \
  "$(ip -n "$H_DEV" -4 neigh show dev rmnet_data0 | grep -c .)" 0
h_finish
