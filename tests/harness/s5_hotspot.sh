#!/bin/bash
# Scenario 5, the uplink is a phone's hotspot: wlan0's default gateway is 192.168.43.1, the Android
# hotspot default (present only in the routing table). The flow is refused as tethered
# (SMV_ERR_PATH_TETHERED, exit 3), the evidence names the gateway, and nothing is ever sent to it.
H_CELL=0 H_WIFI=1 H_DEFAULT=wifi H_HOTSPOT=1
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {"/start": {"status": 200, "json": {"token": "never", "returnUrl": null}}}}'

h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 10
h_expect_rc 3
h_expect_json .outcome error
h_expect_json .error.code SMV_ERR_PATH_TETHERED
h_expect_json_match .error.message "192\.168\.43\.1"
h_expect_json_match .error.message "wlan0"
h_expect_server_saw_nothing
h_expect_eq "packets the device sent toward 192.168.43.1" "$(h_counter "$H_DEV" smvh_dev to_hotspot_gw)" 0
h_expect_eq "neighbour entries for 192.168.43.1 (no ARP was tried)" \
  "$(ip -n "$H_DEV" neigh show 192.168.43.1 | grep -c .)" 0
h_finish
