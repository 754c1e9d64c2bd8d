#!/usr/bin/env bash
# A server that accepts the request and never answers: the flow's deadline ends it (exit 10)
# in about --max-time seconds, not later.
. "$(dirname "$0")/lib.sh"
start_server
t0=$(date +%s%N)
follow "$HTTPS/stall" --max-time 2
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
expect_eq "exit status" "$RC" 10
expect_eq outcome "$(r .outcome)" '"error"'
case "$(r .error.code)" in
  '"SMV_ERR_TIMEOUT"'|'"SMV_ERR_TIMEOUT_RESPONSE"') pass "timeout error code $(r .error.code)";;
  *) fail "error code $(r .error.code), want a timeout";;
esac
if [ "$ms" -ge 1800 ] && [ "$ms" -le 4500 ]; then pass "gave up after ${ms} ms"
else fail "gave up after ${ms} ms, want about 2000"; fi
expect_eq "the server got the request" "$(log_field 0 target)" '"/stall"'
finish
