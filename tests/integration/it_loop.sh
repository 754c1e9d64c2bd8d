#!/usr/bin/env bash
# /loop/a -> /loop/b -> /loop/a: a loop ends the flow (exit 8) before fetching a URL twice.
. "$(dirname "$0")/lib.sh"
start_server
follow "$HTTPS/loop/a" --return-url myapp://verified
expect_eq "exit status" "$RC" 8
expect_eq outcome "$(r .outcome)" '"error"'
expect_eq "error code" "$(r .error.code)" '"SMV_ERR_REDIRECT_LOOP"'
expect_eq "server saw" "$(log_targets | tr '\n' '|')" "https GET /loop/a|https GET /loop/b|"
finish
