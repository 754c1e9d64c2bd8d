#!/bin/sh
# CI step (called by .ci/run): the platform layers other than the default one, built natively and
# tested here, so that none of them rots unseen. `modem` (netlink + sysfs, the modem's configuration
# file) runs as it would on a modem's Linux; `android` builds the Android layer on its Linux shim
# with the NDK's signatures (platform/android/shim), as far as this machine without an NDK allows.
# Each gets its own tree (build-platform-NAME) and runs the unit and integration tests.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
deps="$src/.deps-cache"
failed=""
for p in ${*:-modem android}; do
  build="$src/build-platform-$p"
  echo "== platform $p ($build)"
  mkdir -p "$build"
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSMV_PLATFORM="$p" \
    -DSMV_DEPS_CACHE="$deps" >"$build/configure.log" 2>&1 || { tail -40 "$build/configure.log" >&2; exit 1; }
  cmake --build "$build" -j2 >"$build/build.log" 2>&1 ||
    { grep -E 'error|FAILED' -A5 "$build/build.log" | head -60 >&2; exit 1; }
  # The layer under test must be the one that answers.
  "$build/bin/smv" paths --json | grep -q "\"source\":[[:space:]]*\"$p\"" ||
    { echo "platform $p: smv paths does not answer from the $p layer" >&2; exit 1; }
  ctest --test-dir "$build" -L "unit|integration" -j2 --output-on-failure --timeout 600 || failed="$failed $p"
done
[ -z "$failed" ] || { echo "platforms failed:$failed" >&2; exit 1; }
echo "platforms: all passed"
