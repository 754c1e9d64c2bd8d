#!/usr/bin/env bash
# https -> http (other port) -> https -> returnUrl: completes at the returnUrl without fetching it;
# the plain-HTTP hop goes to the other listener, the last hop reuses the first TLS connection.
. "$(dirname "$0")/lib.sh"
start_server --scenario chain
follow "$HTTPS/chain/start" --return-url myapp://verified
expect_eq "exit status" "$RC" 0
expect_eq outcome "$(r .outcome)" '"return_url"'
expect_eq final_url "$(r .final_url)" '"myapp://verified?state=ok"'
expect_eq "hop count" "$(r '.hops|length')" 3
expect_eq "hop 1 status" "$(r .hops[0].status)" 302
expect_eq "hop 2 tls" "$(r .hops[1].tls)" '"none"'
expect_eq "hop 2 url" "$(r .hops[1].url)" "\"$HTTP/chain/he?step=1\""
expect_eq "path declared" "$(r .path.declared)" true
expect_eq "server saw" "$(log_targets | tr '\n' '|')" \
  "https GET /chain/start|http GET /chain/he?step=1|https GET /chain/finish?step=2|"
# keep-alive: the third request came over the first connection (or at least resumed its session)
c1=$(log_field 0 conn); c3=$(log_field 2 conn); res3=$(log_field 2 tls_resumed)
if [ "$c1" = "$c3" ] || [ "$res3" = true ]; then pass "https connection reused or resumed"
else fail "third hop neither reused connection $c1 nor resumed TLS (conn $c3)"; fi
expect_eq "connections" "$(r .stats.connections)" 2
expect_eq "full TLS handshakes" "$(r .stats.tls_full)" 1
# nothing the client should not send
expect_eq "no Referer" "$(log_header 1 Referer)" null
expect_eq "no Cookie" "$(log_header 0 Cookie)" null
expect_eq "Host of the http hop" "$(log_header 1 Host)" "\"${HTTP#http://}\""
finish
