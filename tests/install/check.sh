#!/bin/sh
# Checks an installed smv (`cmake --install BUILD --prefix PREFIX`) the way an application uses it:
# the files are where the packages say, the shared library exports smv's API and libuv's and hides the
# rest, and tests/install/consumer.c builds and runs through pkg-config and through find_package(smv),
# against libsmv.so and libsmv.a each.
# Usage: tests/install/check.sh PREFIX
set -eu

[ $# -eq 1 ] || { echo "usage: $0 PREFIX" >&2; exit 2; }
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "install check: FAIL: $*" >&2; exit 1; }

pc=$(find "$prefix" -path '*/pkgconfig/smv.pc' | head -1)
[ -n "$pc" ] || fail "no smv.pc under $prefix"
libdir=$(dirname "$(dirname "$pc")")
for f in "$prefix/include/smv.h" "$prefix/include/smv/uv.h" "$libdir/libsmv.a" "$libdir/libsmv.so" \
         "$libdir/cmake/smv/smvConfig.cmake" "$libdir/cmake/smv/smvConfigVersion.cmake"; do
  [ -e "$f" ] || fail "missing $f"
done
echo "install check: files ok ($libdir)"

# Exports: the public API and libuv; never the internals or the bundled TLS, DNS, HTTP, JSON code.
nm -D --defined-only "$libdir/libsmv.so" | awk '{print $3}' >"$work/exports"
grep -qx smv_follow_sync "$work/exports" || fail "libsmv.so does not export smv_follow_sync"
grep -qx uv_loop_init "$work/exports" || fail "libsmv.so does not export libuv's API"
if grep -E '^(smv__|mbedtls_|psa_|ares_|cJSON_|http_parser_)' "$work/exports" >"$work/leaks"; then
  fail "libsmv.so exports internals: $(head -5 "$work/leaks" | tr '\n' ' ')"
fi
echo "install check: libsmv.so exports $(grep -c '^smv_' "$work/exports") smv_ and" \
     "$(grep -c '^uv_' "$work/exports") uv_ symbols, nothing else of ours"

# pkg-config
PKG_CONFIG_PATH="$(dirname "$pc")" make -s -f "$here/Makefile" OUT="$work" >"$work/make.log" 2>&1 ||
  { cat "$work/make.log" >&2; fail "pkg-config build"; }
LD_LIBRARY_PATH="$libdir" "$work/consumer_pc_shared" || fail "consumer_pc_shared did not run"
"$work/consumer_pc_static" || fail "consumer_pc_static did not run"
ldd "$work/consumer_pc_static" 2>/dev/null | grep -q libsmv && fail "consumer_pc_static uses libsmv.so"
echo "install check: pkg-config build ok (shared and static)"

# CMake package
cmake -S "$here" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log" 2>&1 &&
  cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "CMake build"; }
"$work/cmake/consumer_cmake_shared" || fail "consumer_cmake_shared did not run"
"$work/cmake/consumer_cmake_static" || fail "consumer_cmake_static did not run"
echo "install check: find_package(smv) build ok (smv::smv and smv::smv_static)"
echo "install check: 4 passed, 0 failed"
