#!/usr/bin/env bash
# A final 200 with {"token":..,"returnUrl":null}: completed, token and null returnUrl reported.
. "$(dirname "$0")/lib.sh"
start_server
follow "$HTTPS/token" --return-url myapp://verified
expect_eq "exit status" "$RC" 0
expect_eq outcome "$(r .outcome)" '"completed"'
expect_eq http_status "$(r .http_status)" 200
expect_eq token "$(r .token)" '"7b564f4b-0f92-4af6-b6ee-021f9bc439f6"'
expect_eq return_url "$(r .return_url)" null
expect_eq final_url "$(r .final_url)" "\"$HTTPS/token\""
expect_eq "hop tls" "$(r .hops[0].tls)" '"tls1.3"'
expect_eq "requests received" "$(log_count)" 1
expect_eq "method" "$(log_field 0 method)" '"GET"'
expect_eq "over TLS" "$(log_field 0 tls)" '"tls1.3"'
# an operator delay still completes
follow "$HTTPS/delay"
expect_eq "delayed: exit status" "$RC" 0
expect_eq "delayed: token" "$(r .token)" '"7b564f4b-0f92-4af6-b6ee-021f9bc439f6"'
finish
