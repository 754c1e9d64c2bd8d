#!/bin/sh
# CI step (called by .ci/run): the builds other than the default one, built natively and tested here,
# so that none of them rots unseen. Each gets its own tree (build-platform-NAME) and runs the unit and
# integration tests.
#   modem        the modem layer (netlink + sysfs, the modem's configured interface), as on a modem's
#                Linux (docs/firmware.md)
#   android      the Android layer on its Linux shim, compiled with clang against AOSP's own
#                <android/multinetwork.h> (docs/android.md says what that checks and what needs an NDK)
#   system-deps  SMV_USE_SYSTEM_DEPS with the libraries Debian 12 has at the project's versions (cJSON,
#                http-parser, cmocka; mbedTLS, libuv and c-ares stay pinned: docs/building.md)
# Usage: .ci/platforms.sh [NAME...]   (default: all three)
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
deps="$src/.deps-cache"
failed=""
start=$(date +%s)
for p in ${*:-modem android system-deps}; do
  build="$src/build-platform-$p"
  case "$p" in
    modem) args="-DCMAKE_BUILD_TYPE=Debug -DSMV_PLATFORM=modem"; source=modem ;;
    android) args="-DCMAKE_BUILD_TYPE=Debug -DSMV_PLATFORM=android -DCMAKE_C_COMPILER=clang"; source=android ;;
    # Optimised like the default tree: what it checks is the libraries, and test_flow's failure at
    # every allocation takes 4 minutes in a Debug build against 1.5 here.
    system-deps) args="-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMV_USE_SYSTEM_DEPS=cjson;http-parser;cmocka"; source=netlink ;;
    *) echo "platforms: unknown build $p (modem, android, system-deps)" >&2; exit 2 ;;
  esac
  echo "== platform $p ($build, $(($(date +%s) - start)) s)"
  mkdir -p "$build"
  # shellcheck disable=SC2086 # args: several -D options
  cmake -S "$src" -B "$build" -G Ninja $args \
    -DSMV_DEPS_CACHE="$deps" >"$build/configure.log" 2>&1 || { tail -40 "$build/configure.log" >&2; exit 1; }
  cmake --build "$build" -j2 >"$build/build.log" 2>&1 ||
    { grep -E 'error|FAILED' -A5 "$build/build.log" | head -60 >&2; exit 1; }
  # The layer under test must be the one that answers.
  "$build/bin/smv" paths --json | grep -q "\"source\":[[:space:]]*\"$source\"" ||
    { echo "platform $p: smv paths does not answer from the $source layer" >&2; exit 1; }
  if [ "$p" = system-deps ]; then
    # The system's libraries are the ones linked, not pinned copies.
    ldd "$build/bin/smv" | grep -q 'libcjson\.so' && ldd "$build/bin/smv" | grep -q 'libhttp_parser\.so' ||
      { echo "platform $p: smv does not use the system's cJSON and http-parser" >&2; exit 1; }
  fi
  ctest --test-dir "$build" -L "unit|integration" -j2 --output-on-failure --timeout 600 || failed="$failed $p"
done
echo "== platforms: $(($(date +%s) - start)) s"
[ -z "$failed" ] || { echo "platforms failed:$failed" >&2; exit 1; }
echo "platforms: all passed"
