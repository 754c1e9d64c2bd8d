#!/bin/bash
# Scenario 13, what an IPv6-only network can give instead of a NAT64 prefix (scenario 9's carrier,
# its DNS64 changed under it):
#   1. a malformed ipv4only.arpa answer: an AAAA record with neither 192.0.0.170 nor 192.0.0.171 at
#      any position RFC 6052 allows (a DNS64 passes a zone's own AAAA through);
#   2. no DNS64 at all: no AAAA for ipv4only.arpa (NODATA).
# In both, an IPv4 literal as the first URL must end at once with its own error (exit 5; an
# SMV_ERR_NAT64_* code, not a timeout), after smv asked the path's DNS for ipv4only.arpa, and without
# a packet toward the server or out of WiFi (which holds the IPv4 default route). The DNS answers
# themselves are checked first (they hold today); the flows need smv's NAT64 support.
H_CELL=6 H_NAT64=1 H_DNS64=malformed H_WIFI=1 H_DEFAULT=wifi
. "$(dirname "$0")/lib.sh"
h_up
h_serve '{"routes": {"/start": {"status": 200, "json": {"token": "never", "returnUrl": null}}}}'

# bad_case WHAT: the flow to the IPv4 literal, and what must (not) have happened
bad_case() {
  local q0
  q0=$(h_dns_queries carrier-dns ipv4only.arpa AAAA)
  h_smv follow "https://$H_SERVER4/start" --cacert "$H_CA" --json --max-time 15 --connect-timeout 5
  h_expect_rc 5
  h_expect_json .outcome error
  h_expect_json_match .error.code '^SMV_ERR_NAT64_'
  h_expect_json .path.interface rmnet_data0
  local ms
  ms=$(h_result .stats.ms)
  h_check "$1: ended at once ($ms ms), not at the 5 s connect timeout" \
    awk -v m="$ms" 'BEGIN { exit !(m ~ /^[0-9.]+$/ && m + 0 < 1000) }'
  h_expect_ge "$1: ipv4only.arpa AAAA queries smv sent the path's DNS" \
    "$(($(h_dns_queries carrier-dns ipv4only.arpa AAAA) - q0))" 1
}

# 1. malformed
h_expect_eq "DNS64 (malformed): ipv4only.arpa AAAA" \
  "$(h_dns_ask "$H_DEV" 2001:db8:53::53 ipv4only.arpa AAAA | tr '\n' ' ')" "2001:db8:64::1 3600 "
bad_case malformed

# 2. no DNS64
h_dns64_mode none
h_expect_eq "no DNS64: ipv4only.arpa AAAA" "$(h_dns_ask "$H_DEV" 2001:db8:53::53 ipv4only.arpa AAAA)" NODATA
h_expect_eq "no DNS64: svc.example AAAA" "$(h_dns_ask "$H_DEV" 2001:db8:53::53 svc.example AAAA)" NODATA
bad_case "no DNS64"

h_expect_server_saw_nothing
h_expect_eq "home router DNS queries" "$(h_dns_total home-dns)" 0
h_expect_eq "packets the home router forwarded" "$(h_counter "$H_HOME" smvh_home wifi_forwarded)" 0
h_finish
