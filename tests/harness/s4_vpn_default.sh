#!/bin/bash
# Scenario 4, a VPN is up and carries the default route (tun0, a real tun device): even with a
# usable rmnet_data0, the flow is refused (SMV_ERR_PATH_VPN, exit 3) and the evidence names tun0.
H_CELL=4 H_WIFI=1 H_DEFAULT=wifi H_TUN=1
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {"/start": {"status": 200, "json": {"token": "never", "returnUrl": null}}}}'

h_check "tun0 is a tun device carrying the default route" \
  sh -c "ip -n $H_DEV -d link show tun0 | grep -q 'tun type tun' && ip -n $H_DEV route show default | head -n 1 | grep -q 'dev tun0'"
h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 10
h_expect_rc 3
h_expect_json .outcome error
h_expect_json .error.code SMV_ERR_PATH_VPN
h_expect_json_match .error.message "tun0"
h_expect_json_match .error.message "tun"
h_expect_server_saw_nothing
h_expect_eq "carrier DNS queries" "$(h_dns_total carrier-dns)" 0
h_finish
