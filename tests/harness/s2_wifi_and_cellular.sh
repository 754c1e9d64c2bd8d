#!/bin/bash
# Scenario 2, WiFi and cellular, the default route on WiFi (as on a phone at home): with no
# --interface, smv must still choose rmnet_data0, send its DNS query to the carrier's DNS through it,
# and reach the server through the carrier's CGNAT. The home router (which captures every DNS query
# that comes over WiFi, and counts what it forwards to the server) must see nothing of the flow.
# A control flow declared on wlan0 then shows that the harness does see traffic that takes WiFi.
H_CELL=4 H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {
  "/start":  {"status": 302, "headers": {"Location": "http://svc.example/dns"}},
  "/dns":    {"status": 302, "headers": {"Location": "https://203.0.113.100/finish"}},
  "/finish": {"status": 200, "json": {"token": "harness-s2", "returnUrl": null}}}}'

h_check "the device's main default route is on wlan0" \
  sh -c "ip -n $H_DEV route get $H_SERVER4 | grep -q 'dev wlan0'"

h_expect_eq "smv paths: class of wlan0" "$(h_path_class wlan0)" wifi
h_expect_eq "smv paths: class of rmnet_data0" "$(h_path_class rmnet_data0)" cellular
h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 15
h_expect_rc 0
h_expect_json .outcome completed
h_expect_json .token harness-s2
h_expect_json .path.interface rmnet_data0
h_expect_json .path.class cellular
h_expect_json .path.declared false
h_expect_json_match .path.local "^${H_DEV4//./\\.}:[0-9]+$"
h_expect_peers_in_block 3
h_expect_ge "carrier DNS queries for svc.example" "$(h_dns_queries carrier-dns svc.example)" 1
h_expect_eq "home router DNS queries for svc.example" "$(h_dns_queries home-dns svc.example)" 0
h_expect_eq "packets the home router forwarded toward the server" \
  "$(h_counter "$H_HOME" smvh_home wifi_to_server)" 0
h_expect_eq "packets the home router forwarded at all" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0

# Control: the same chain with wlan0 declared as the carrier. Its DNS query is captured by the home
# router (whose answer leads nowhere), and its first hop reaches the server from the router's address.
# (The leak check does not apply to it: H_WIFI_EXPECTED.)
requests_before=$(h_server_requests)
H_WIFI_EXPECTED=1 h_smv follow "https://$H_SERVER4/start" --carrier wlan0 --cacert "$H_CA" --json --max-time 10 \
  --connect-timeout 2
h_expect_json .path.interface wlan0
h_expect_ge "control: home router DNS queries for svc.example" "$(h_dns_queries home-dns svc.example)" 1
h_expect_ge "control: packets the home router forwarded toward the server" \
  "$(h_counter "$H_HOME" smvh_home wifi_to_server)" 1
h_check "control: the server saw the home router's address 198.51.100.1" \
  sh -c "tail -n +$((requests_before + 1)) '$H_WORK/server.log' | grep -q '\"peer\":\"198.51.100.1:'"
h_expect_ge "control: frames from wlan0 at the home router (the leak counter counts)" "$(h_wifi_leaks)" 1
h_finish
