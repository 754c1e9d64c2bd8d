#!/bin/bash
# Scenario 1, cellular only: the device has rmnet_data0 and nothing else. The flow must leave on it,
# through the carrier's CGNAT: the server sees the carrier's public address with a port inside the
# subscriber's block, the result's path.local is the device's own 100.64.x address, and the name on
# the way (svc.example, a plain-HTTP hop) is answered by the carrier's DNS.
H_CELL=4 H_WIFI=0 H_DEFAULT=cell
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {
  "/start":  {"status": 302, "headers": {"Location": "http://svc.example/dns"}},
  "/dns":    {"status": 302, "headers": {"Location": "https://203.0.113.100/finish"}},
  "/finish": {"status": 200, "json": {"token": "harness-s1", "returnUrl": null}}}}'

h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 15
h_expect_rc 0
h_expect_json .outcome completed
h_expect_json .token harness-s1
h_expect_json .path.interface rmnet_data0
h_expect_json .path.class cellular
h_expect_json .path.declared false
h_expect_json_match .path.local "^${H_DEV4//./\\.}:[0-9]+$"
h_expect_json '.hops|length' 3
h_expect_peers_in_block 3
h_expect_ge "carrier DNS queries for svc.example" "$(h_dns_queries carrier-dns svc.example)" 1
h_finish
