#!/usr/bin/env bash
# A kept-alive connection that the server closes as it is reused, before answering, is retried once
# on a new connection (the keep-alive race); the attempt is not a hop of its own, and a second
# silent close ends the flow with exit 5.
. "$(dirname "$0")/lib.sh"
cat >"$WORK/routes.json" <<'JSON'
{"routes": {
  "/reuse/a": {"status": 302, "headers": {"Location": "/reuse/b"}},
  "/reuse/b": {"raw": "", "close": true}
}}
JSON
start_server --script "$WORK/routes.json"
follow "$HTTPS/reuse/a"
expect_eq "exit status" "$RC" 5
expect_eq "error" "$(r .error.code)" '"SMV_ERR_CONN_RESET"'
expect_eq "hops (the retried attempt is not one)" "$(r '.hops|length')" 2
expect_eq "connections" "$(r .stats.connections)" 2
expect_eq "requests received" "$(log_count)" 3
expect_eq "second request reused the connection" "$(log_field 1 conn)" "$(log_field 0 conn)"
if [ "$(log_field 2 conn)" != "$(log_field 1 conn)" ]; then pass "the retry used a new connection"; else fail "the retry reused the closed connection"; fi
expect_eq "retry target" "$(log_field 2 target)" '"/reuse/b"'
finish
