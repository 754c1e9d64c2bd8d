#!/bin/bash
# Scenario 14, a server that closes late (issue 13: "not one packet off the path"). The cellular path
# is IPv4 (rmnet_data0, CGNAT), WiFi is up and holds the default route. The server (a small Python
# TLS server, late_close_server.py) answers, then 300 ms later sends its close_notify and its FIN.
# A client that closed its socket before reading them leaves the kernel to answer: the close_notify
# meets the closed socket, still bound to rmnet_data0 (a reset there); the FIN meets no socket at
# all, and that reset, source 100.64.0.2, follows the main routing table out of wlan0. The harness's
# leak check (nothing from wlan0 at the home router until 2 s after smv exits) must hold for smv.
# The cellular link has a 20 ms round trip (H_RTT_MS, smv_delay_relay), as any real one has more:
# on a link of microseconds the first reset reaches the server before it sends its FIN, and the
# second packet, the one that leaks, never exists.
#
# Control first: curl --interface rmnet_data0 (SO_BINDTODEVICE, as smv binds) on the same server,
# which shows that the harness sees such a leak: curl closes without reading the server's close.
H_CELL=4 H_WIFI=1 H_DEFAULT=wifi H_RTT_MS=20
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null 2>&1 || h_skip "needs openssl (the late server's certificate)"
command -v curl >/dev/null 2>&1 || h_skip "needs curl (the control)"
h_up

# a CA and the server's certificate for 203.0.113.100
(
  cd "$H_WORK" &&
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=harness late CA" \
    -keyout ca.key -out late-ca.pem &&
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$H_SERVER4" \
    -keyout late.key -out late.csr &&
  printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\n' "$H_SERVER4" >late.ext &&
  openssl x509 -req -in late.csr -CA late-ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile late.ext \
    -out late.pem
) >"$H_WORK/openssl.log" 2>&1 || { h_fail "could not make the late server's certificate"; h_finish; }
h_bg "$H_NET" late python3 "$H_HERE/late_close_server.py" "$H_WORK/late.pem" "$H_WORK/late.key" \
  "$H_SERVER4" 8443 300 '{"token": "harness-s14", "returnUrl": null}'
h_wait_file "$H_WORK/late.out" listening 50 || { h_fail "the late server did not start"; h_finish; }
URL="https://$H_SERVER4:8443/late"

# the control: curl, bound to rmnet_data0
w0=$(h_wifi_leaks)
ip netns exec "$H_DEV" curl -sS --max-time 5 --interface rmnet_data0 --cacert "$H_WORK/late-ca.pem" \
  -o "$H_WORK/curl.out" "$URL" 2>"$H_WORK/curl.err"
h_check "control: curl got the answer" grep -q harness-s14 "$H_WORK/curl.out"
sleep 2
h_expect_ge "control: frames from wlan0 at the home router after curl's late close (the harness sees it)" \
  "$(( $(h_wifi_leaks) - w0 ))" 1
h_check "control: the server sent its close_notify and FIN after curl had gone" \
  grep -q "close_notify and FIN sent" "$H_WORK/late.out"

# smv: the same server, and nothing from wlan0 until 2 s after it exits (h_leak_settle checks it)
f0=$(h_counter "$H_HOME" smvh_home wifi_forwarded)
h_smv follow "$URL" --cacert "$H_WORK/late-ca.pem" --json --max-time 10
h_expect_rc 0
h_expect_json .token harness-s14
h_expect_json .path.interface rmnet_data0
h_leak_settle
h_check "the server sent its close_notify and FIN to smv's connection too" \
  test "$(grep -c "close_notify and FIN sent" "$H_WORK/late.out")" -ge 2
h_expect_eq "packets the home router forwarded during smv's flow and after it" \
  "$(( $(h_counter "$H_HOME" smvh_home wifi_forwarded) - f0 ))" 0
h_finish
