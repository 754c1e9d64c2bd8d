#!/bin/sh
# CI step for issue 5 (called by .ci/run): cross-builds armhf and arm64 with Debian's cross compilers,
# runs the unit tests under qemu-user (ctest prepends CMAKE_CROSSCOMPILING_EMULATOR from the toolchain
# files), and prints the footprint report. On this 2-core machine it takes a few minutes: the
# dependency tarballs are kept in a cache directory outside the clone (CI starts from a fresh clone,
# where .deps-cache is empty), and the builds run one after the other with -j2.
#
# Usage: .ci/cross.sh [armhf] [arm64]          (default: both)
# Environment:
#   SMV_CI_CACHE          where the dependency tarballs are kept between runs (default /var/cache/smv-ci)
#   SMV_CROSS_BUILD_ROOT  where the build trees go (default: the presets' build-ARCH in the source tree)
#   SMV_CROSS_INTEGRATION=1  also run the tests labelled integration under qemu
#   SMV_FOOTPRINT_CHECK=1    fail when the footprint targets of issue 5 are missed (report only otherwise)
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
arches="${*:-armhf arm64}"
cache="${SMV_CI_CACHE:-/var/cache/smv-ci}"
root="${SMV_CROSS_BUILD_ROOT:-}"
start=$(date +%s)

step() { echo "== cross: $* ($(($(date +%s) - start)) s)"; }

step "build dependencies"
"$src/toolchains/install-build-deps.sh"

# The tarballs: the clone's own cache when it has them (a developer's tree), else the CI cache.
deps="$src/.deps-cache"
if ! ls "$deps"/*.orig.tar.* >/dev/null 2>&1; then
  mkdir -p "$cache/deps"
  deps="$cache/deps"
fi

labels=unit
failed=""
if [ "${SMV_CROSS_INTEGRATION:-0}" = 1 ]; then
  labels="unit|integration"
fi

for arch in $arches; do
  case "$arch" in
    armhf|arm64) ;;
    *) echo "cross: unknown architecture $arch (armhf, arm64)" >&2; exit 2 ;;
  esac
  build="${root:+$root/$arch}"
  build="${build:-$src/build-$arch}"
  mkdir -p "$build"
  step "$arch: configure ($build)"
  cmake -S "$src" --preset "$arch" -B "$build" -DSMV_DEPS_CACHE="$deps" >"$build/cross-configure.log" 2>&1 ||
    { tail -40 "$build/cross-configure.log" >&2; exit 1; }
  step "$arch: build"
  cmake --build "$build" -j2 >"$build/cross-build.log" 2>&1 ||
    { grep -E 'error|FAILED' -A5 "$build/cross-build.log" | head -60 >&2; exit 1; }
  step "$arch: ctest -L '$labels' under $(sed -n 's/^SMV_QEMU:FILEPATH=//p' "$build/CMakeCache.txt")"
  # One architecture's failures do not hide the other's: everything runs, the status comes at the end.
  ctest --test-dir "$build" -L "$labels" -j2 --output-on-failure --timeout 600 || failed="$failed $arch"
done

step "footprint"
export SMV_DEPS_CACHE="$deps"
footprint_args=""
[ "${SMV_FOOTPRINT_CHECK:-0}" != 1 ] || footprint_args="--check"
# shellcheck disable=SC2086
"$src/tests/bench/footprint.sh" $footprint_args ${root:+--build-root "$root"} $arches
if [ -n "$failed" ]; then
  step "FAILED: tests under qemu failed for$failed"
  exit 1
fi
step "done"
