#!/usr/bin/env bash
# 11 redirects: with the default limit of 10 the flow fails (exit 8) after exactly 11 requests;
# with --max-redirects 11 it completes with the token (the count is exact).
. "$(dirname "$0")/lib.sh"
start_server
follow "$HTTPS/hops/0" --return-url myapp://verified
expect_eq "exit status" "$RC" 8
expect_eq "error code" "$(r .error.code)" '"SMV_ERR_TOO_MANY_REDIRECTS"'
expect_eq "requests received" "$(log_count)" 11
expect_eq "last request" "$(log_field 10 target)" '"/hops/10"'
follow "$HTTPS/hops/0" --max-redirects 11
expect_eq "with 11 allowed: exit status" "$RC" 0
expect_eq "with 11 allowed: outcome" "$(r .outcome)" '"completed"'
expect_eq "with 11 allowed: hops" "$(r '.hops|length')" 12
expect_eq "requests received in all" "$(log_count)" 23
finish
