#!/usr/bin/env bash
# The ABI rule of docs/library.md ("Versions, the SONAME and the exported symbols"): libsmv.so's
# SONAME changes when, and only when, its ABI breaks. tests/abi/libsmv.abi is the ABI of the smv_*
# functions (their signatures and every type they reach, from the debug information, as libabigail's
# abidw records it) of the library as last released; this compares the built library against it.
#   - no change: pass;
#   - a compatible change (a function added): fail until the baseline is refreshed
#     (`tests/abi/abi.sh update BUILD_LIB`), so that the next change is judged against it;
#   - an incompatible change (a type's layout, a signature, a function removed) while the SONAME is
#     the baseline's: fail, SMV_ABI_VERSION in CMakeLists.txt must be raised and the baseline
#     refreshed; with a new SONAME, only the refresh is asked for. Fields added at the end of
#     smv_config or smv_client_options behind a new version number are the one type change that
#     keeps the ABI: the message says so, and the refresh alone is then right.
# Usage: abi.sh check|update LIBSMV_SO   (needs abigail-tools; exit 77 without them)
set -u
mode=$1
lib=$2
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
base=$here/libsmv.abi
for t in abidw abidiff; do command -v "$t" >/dev/null || { echo "SKIP: $t is not installed (abigail-tools)"; exit 77; }; done
work=$(mktemp -d "${TMPDIR:-/tmp}/smv-abi.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Only smv's own functions: libuv's exported API is libuv's ABI, pinned with it.
{ echo '[abi_whitelist]'; nm -D --defined-only "$lib" | awk '{print $3}' | sed 's/@.*//' | grep '^smv_' | sed 's/^/  /'; } >"$work/whitelist"
abidw --headers-dir "$src/include" --drop-private-types --no-show-locs --no-corpus-path \
  -w "$work/whitelist" "$lib" >"$work/current.abi" || { echo "FAIL: abidw $lib"; exit 1; }
if [ "$mode" = update ]; then
  cp "$work/current.abi" "$base"
  echo "abi: $base now records $(grep -o "soname='[^']*'" "$base") with $(grep -c '<elf-symbol ' "$base") functions"
  exit 0
fi
[ -f "$base" ] || { echo "FAIL: no baseline $base (tests/abi/abi.sh update $lib)"; exit 1; }
old_soname=$(grep -o "soname='[^']*'" "$base" | head -1 | cut -d"'" -f2)
new_soname=$(grep -o "soname='[^']*'" "$work/current.abi" | head -1 | cut -d"'" -f2)
abidiff --no-show-locs "$base" "$work/current.abi" >"$work/diff" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ "$old_soname" = "$new_soname" ]; then
  echo "abi: $new_soname: the ABI of its $(grep -c '<elf-symbol ' "$base") smv_ functions is the baseline's"
  exit 0
fi
cat "$work/diff"
if [ $((rc & 1)) -ne 0 ] || [ $((rc & 2)) -ne 0 ]; then echo "FAIL: abidiff failed (status $rc)"; exit 1; fi
if [ "$old_soname" != "$new_soname" ]; then
  echo "FAIL: the SONAME is $new_soname, the baseline's $old_soname: refresh it (tests/abi/abi.sh update $lib)"
elif [ $((rc & 8)) -ne 0 ]; then
  echo "FAIL: the ABI broke (a function removed, above) but the SONAME is still $new_soname: raise"
  echo "      SMV_ABI_VERSION in CMakeLists.txt, rebuild, and refresh: tests/abi/abi.sh update $lib"
elif grep -qE 'Functions changes summary: [0-9]+ Removed, [1-9][0-9]* Changed' "$work/diff"; then
  # abidiff calls a type's new layout a change, not an incompatible one; for smv it is a break,
  # since programs allocate and index smv's structs, except fields added behind a version number.
  echo "FAIL: a signature or a type of the API changed (above). Unless it is only fields added at the end"
  echo "      of smv_config or smv_client_options behind a new version number, that breaks the ABI: raise"
  echo "      SMV_ABI_VERSION in CMakeLists.txt and rebuild. Then refresh: tests/abi/abi.sh update $lib"
else
  echo "FAIL: the ABI grew compatibly (functions added, above): refresh the baseline (tests/abi/abi.sh update $lib)"
fi
exit 1
