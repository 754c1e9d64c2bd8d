#!/usr/bin/env bash
# Relative Locations of every form (path-relative, dot segments + fragment, network-path,
# query-only) resolved by RFC 3986 section 5; the fragment is never sent.
. "$(dirname "$0")/lib.sh"
start_server
follow "$HTTPS/relative/start" --return-url myapp://verified
expect_eq "exit status" "$RC" 0
expect_eq outcome "$(r .outcome)" '"completed"'
expect_eq token "$(r .token)" '"7b564f4b-0f92-4af6-b6ee-021f9bc439f6"'
expect_eq "server saw" "$(log_targets | tr '\n' '|')" \
  "https GET /relative/start|https GET /relative/step/two|https GET /relative/three?x=1|https GET /relative/four|https GET /relative/four?q=5|"
expect_eq final_url "$(r .final_url)" "\"$HTTPS/relative/four?q=5\""
finish
