#!/usr/bin/env bash
# Builds the libFuzzer targets with the `fuzz` preset, runs their replay tests (ctest -L fuzz), then
# runs each target for N seconds ($1, default 60) on a copy of its seed corpus (the repository's corpus
# is never written to). A target that was not built (fuzz_url_curl without libcurl's headers) fails it,
# and so does any crash, sanitizer report, leak or timeout; the reproducer is kept under $FUZZ_OUT (default
# ./fuzz-artifacts). FUZZ_JOBS=N runs N targets at once.
set -u
SECONDS_PER_TARGET=${1:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
OUT=${FUZZ_OUT:-$PWD/fuzz-artifacts}
JOBS=${FUZZ_JOBS:-1}
mkdir -p "$OUT"

if [ -n "${FUZZ_BUILD_DIR:-}" ]; then
  cmake -S "$ROOT" -B "$BUILD" --preset fuzz >/dev/null || exit 1
else
  (cd "$ROOT" && cmake --preset fuzz >/dev/null) || exit 1
fi
cmake --build "$BUILD" -j"${FUZZ_BUILD_JOBS:-2}" || exit 1
# The replay tests first (about a second): every target once over its seeds, and fuzz_url_curl over the
# WPT and lib1560 URL suites, which no seed directory holds.
ctest --test-dir "$BUILD" -L fuzz --output-on-failure >"$OUT/replay.log" 2>&1 || { cat "$OUT/replay.log"; echo "FAIL replay tests"; exit 1; }
echo "ok   replay tests ($(grep -c ' Passed ' "$OUT/replay.log") passed)"

TARGETS=$(cd "$ROOT/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smv-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

run_one() {
  local t=$1 corpus=$WORK/$1
  mkdir -p "$corpus"
  if [ -d "$ROOT/tests/fuzz/corpus/$t" ]; then cp "$ROOT/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null; fi
  "$BUILD/bin/$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 \
    -dict="$ROOT/tests/fuzz/http.dict" -artifact_prefix="$OUT/$t-" -print_final_stats=1 \
    "$corpus" >"$OUT/$t.log" 2>&1
  local rc=$?
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/$t.log" | grep -o '[0-9]*$')
  if [ $rc -eq 0 ]; then echo "ok   $t (${execs:-?} runs)"; else echo "FAIL $t (exit $rc): see $OUT/$t.log"; fi
  return $rc
}

fails=0
pids=()
for t in $TARGETS; do
  if [ ! -x "$BUILD/bin/$t" ]; then echo "FAIL $t: not built"; fails=$((fails + 1)); continue; fi
  if [ "$JOBS" -le 1 ]; then
    run_one "$t" || fails=$((fails + 1))
  else
    run_one "$t" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}" || fails=$((fails + 1)); pids=("${pids[@]:1}"); fi
  fi
done
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
if [ $fails -ne 0 ]; then echo "$fails fuzz target(s) failed; reproducers in $OUT"; exit 1; fi
echo "all fuzz targets ran ${SECONDS_PER_TARGET}s without a finding"
