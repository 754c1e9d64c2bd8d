#!/bin/sh
# Checks an installed smv (`cmake --install BUILD --prefix PREFIX`, or the Debian packages with PREFIX
# /usr) the way an application uses it: the files are where the packages say, the shared library's
# SONAME and exports follow the rule of cmake/SmvInstall.cmake, and tests/install/consumer.c builds
# and runs through pkg-config and through find_package(smv), against libsmv.so and libsmv.a each.
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

# Exports, by the rule of cmake/SmvInstall.cmake: exactly the functions smv.h declares, plus libuv's
# uv_* (bundled), every one at the version node SMV_<ABI> of the SONAME libsmv.so.<ABI>; never the
# internals or the bundled TLS, DNS, HTTP, JSON code.
soname=$(objdump -p "$libdir/libsmv.so" | awk '$1 == "SONAME" {print $2}')
abi=${soname#libsmv.so.}
case "$abi" in ''|*[!0-9]*) fail "libsmv.so's SONAME is '$soname', not libsmv.so.N" ;; esac
[ -e "$libdir/$soname" ] || fail "no $libdir/$soname"
nm -D --defined-only "$libdir/libsmv.so" | awk '{print $3}' | sed 's/@.*//' | sort -u >"$work/exports"
grep -qx uv_loop_init "$work/exports" || fail "libsmv.so does not export libuv's API"
if grep -vE '^(smv_[a-z0-9_]+|uv_[a-z0-9_]+|SMV_[0-9]+)$' "$work/exports" >"$work/leaks" ||
   grep -E '^smv__' "$work/exports" >>"$work/leaks"; then
  fail "libsmv.so exports more than the rule allows: $(head -5 "$work/leaks" | tr '\n' ' ')"
fi
sed -n 's/.*[ *]\(smv_[a-z0-9_]*\)(.*/\1/p' "$prefix/include/smv.h" | sort -u >"$work/declared"
grep '^smv_' "$work/exports" >"$work/exported"
diff "$work/declared" "$work/exported" >"$work/diff" ||
  fail "libsmv.so's smv_ exports differ from smv.h's declarations (< declared only, > exported only): $(tr '\n' ' ' <"$work/diff")"
objdump -T "$libdir/libsmv.so" | awk '$2 == "g" && $4 != "*UND*" && $NF ~ /^(smv|uv)_/ {print $(NF-1)}' |
  sort -u >"$work/versions"
[ "$(cat "$work/versions")" = "SMV_$abi" ] ||
  fail "libsmv.so's exports are not all at version node SMV_$abi: $(tr '\n' ' ' <"$work/versions")"
echo "install check: $soname exports the $(wc -l <"$work/declared") functions smv.h declares and" \
     "$(grep -c '^uv_' "$work/exports") uv_ symbols, all at SMV_$abi, nothing else"

# pkg-config
PKG_CONFIG_PATH="$(dirname "$pc")" make -s -f "$here/Makefile" OUT="$work" >"$work/make.log" 2>&1 ||
  { cat "$work/make.log" >&2; fail "pkg-config build"; }
LD_LIBRARY_PATH="$libdir" "$work/consumer_pc_shared" || fail "consumer_pc_shared did not run"
"$work/consumer_pc_static" || fail "consumer_pc_static did not run"
ldd "$work/consumer_pc_static" 2>/dev/null | grep -q libsmv && fail "consumer_pc_static uses libsmv.so"
echo "install check: pkg-config build ok (shared and static)"

# CMake package, asked for the major.minor that pkg-config reports for the same install
want=$(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --modversion smv | cut -d. -f1,2)
cmake -S "$here" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DSMV_WANT="$want" >"$work/cmake.log" 2>&1 &&
  cmake --build "$work/cmake" >>"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; fail "CMake build"; }
"$work/cmake/consumer_cmake_shared" || fail "consumer_cmake_shared did not run"
"$work/cmake/consumer_cmake_static" || fail "consumer_cmake_static did not run"
echo "install check: find_package(smv) build ok (smv::smv and smv::smv_static)"
echo "install check: 4 passed, 0 failed"
