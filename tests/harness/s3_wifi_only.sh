#!/bin/bash
# Scenario 3, WiFi only: no cellular path, so no flow. First without rmnet_data0 at all
# (SMV_ERR_NO_CARRIER_PATH), then with rmnet_data0 present but down (SMV_ERR_PATH_DOWN); both exit 3,
# and neither the server, the home router nor any DNS server sees a thing.
H_CELL=0 H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {"/start": {"status": 200, "json": {"token": "never", "returnUrl": null}}}}'

h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 10
h_expect_rc 3
h_expect_json .outcome error
h_expect_json .error.code SMV_ERR_NO_CARRIER_PATH
h_expect_json_match .error.message "wlan0 \(wifi\)"

# rmnet_data0 exists but is administratively down: still no carrier path, and no WiFi instead
ip -n "$H_CAR" link add cdev0 type veth peer name rmnet_data0 netns "$H_DEV"
ip -n "$H_DEV" addr add "$H_DEV4/30" dev rmnet_data0
h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 10
h_expect_rc 3
h_expect_json .error.code SMV_ERR_PATH_DOWN
h_expect_json_match .error.message "rmnet_data0"

h_expect_server_saw_nothing
h_expect_eq "packets the home router forwarded" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_expect_eq "home router DNS queries" "$(h_dns_total home-dns)" 0
h_expect_eq "carrier DNS queries" "$(h_dns_total carrier-dns)" 0
h_finish
