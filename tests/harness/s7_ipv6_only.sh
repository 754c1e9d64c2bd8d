#!/bin/bash
# Scenario 7, an IPv6-only carrier: rmnet_data0 has only 2001:db8:100::2 (no IPv4), WiFi has IPv4
# and the default IPv4 route. The flow leaves on rmnet_data0 over IPv6 (no NAT), its name is answered
# by the carrier's DNS over IPv6 (AAAA only), and the server sees the device's own 2001:db8:: address.
H_CELL=6 H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {
  "/start":  {"status": 302, "headers": {"Location": "http://svc6.example/dns"}},
  "/dns":    {"status": 302, "headers": {"Location": "https://[2001:db8:2::100]/finish"}},
  "/finish": {"status": 200, "json": {"token": "harness-s7", "returnUrl": null}}}}' "$H_SERVER6"

h_check "rmnet_data0 has no IPv4 address" sh -c "! ip -n $H_DEV -4 addr show dev rmnet_data0 | grep -q inet"
h_smv follow "https://[$H_SERVER6]/start" --cacert "$H_CA" --json --max-time 15
h_expect_rc 0
h_expect_json .outcome completed
h_expect_json .token harness-s7
h_expect_json .path.interface rmnet_data0
h_expect_json .path.class cellular
h_expect_json_match .path.local "^\[$H_DEV6\]:[0-9]+$"
peers=$(h_server_peers | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')
h_expect_eq "addresses the server saw" "$peers" "[$H_DEV6] "
h_expect_eq "requests the server saw" "$(h_server_requests)" 3
h_check "the carrier's DNS answered svc6.example from the device's IPv6 address" \
  h_dns_seen carrier-dns AAAA svc6.example "$H_DEV6"
h_expect_eq "home router DNS queries" "$(h_dns_total home-dns)" 0
h_expect_eq "packets the home router forwarded" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_finish
