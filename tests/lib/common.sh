# Shared by the shell test libraries of tests/integration, tests/certs and tests/hostile: the smv
# binary ($1 of the test script, which ctest passes), a work directory that is removed on exit unless
# something failed (or KEEP is set), the server a test started, the pass/fail bookkeeping, and the
# schema check of what smv prints (tests/lib/schema.sh).
# Source it from a lib.sh with SMV_TEST_TAG set (the work directory's name).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/schema.sh"

SMV=${SMV:-${1:-build/bin/smv}}
if [ ! -x "$SMV" ]; then echo "FAIL: no smv binary at $SMV" >&2; exit 1; fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smv-${SMV_TEST_TAG:-test}.XXXXXX")
SERVER_PID=
FAILS=0

cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  if [ "$FAILS" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }
# expect_eq WHAT GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then pass "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi; }

# timed CMD...: runs CMD (an `smv follow --json`) with its stdout in $WORK/result.json and its stderr
# in $WORK/follow.err; sets RC, MS (wall time) and CODE (the result's error code, "None" without
# one, "no-json" when there is no JSON).
timed() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >"$WORK/result.json" 2>"$WORK/follow.err"
  RC=$?
  t1=$(date +%s%N)
  MS=$(( (t1 - t0) / 1000000 ))
  smv_schema_check_run "$WORK/result.json" "$@" || fail "what smv printed or wrote does not match its schema (above)"
  CODE=$(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    print((d.get("error") or {}).get("code"))
except Exception:
    print("no-json")' "$WORK/result.json")
}

# finish_showing [FILE...]: exit 0 when nothing failed; else show the last result, follow's stderr
# and the end of each FILE (the servers' logs), and exit 1.
finish_showing() {
  if [ "$FAILS" -ne 0 ]; then
    echo "--- result:" >&2; cat "$WORK/result.json" >&2 2>/dev/null
    echo "--- follow stderr:" >&2; tail -c 3000 "$WORK/follow.err" >&2 2>/dev/null
    local f
    for f in "$@"; do echo "--- ${f#"$WORK"/}:" >&2; tail -c 3000 "$f" >&2 2>/dev/null; done
    exit 1
  fi
  exit 0
}
