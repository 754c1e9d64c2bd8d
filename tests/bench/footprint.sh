#!/bin/sh
# The footprint report of issue 5: builds the footprint presets (client only, trimmed mbedTLS, -Os,
# Thumb-2 on armhf, gc-sections), links the static program that runs one flow, strips it, and prints
# its size split by component. The split comes from the linker map: the sizes of the input sections the
# linker kept, summed per archive, so it shows what each library costs after --gc-sections.
#
# Usage: tests/bench/footprint.sh [--check] [--build-root DIR] [armhf] [arm64]
#   --check       exit 1 when a target is missed (smv <= 56 KiB; all but libc <= 260 KiB, this wave's
#                 on armhf)
#   --build-root  build trees go to DIR/footprint-ARCH (default: the presets' build-footprint-ARCH)
# Environment: SMV_DEPS_CACHE, where the dependency tarballs are (default: the tree's .deps-cache).
# The program is tests/bench/footprint_main.c, one flow through smv_follow_sync(); a link that fails
# fails the script (there is no stand-in to measure instead).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
check=0
root=""
arches=""
while [ $# -gt 0 ]; do
  case "$1" in
    --check) check=1 ;;
    --build-root) root="$2"; shift ;;
    armhf|arm64) arches="$arches $1" ;;
    *) echo "usage: $0 [--check] [--build-root DIR] [armhf] [arm64]" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$arches" ] || arches="armhf arm64"

SMV_KIB_LIMIT=56
ALL_KIB_LIMIT=260
failed=0

# Per component: bytes of kept, file-backed input sections; bss on its own (it costs RAM, not flash).
split_map() {
  awk -v mode="${2:-components}" '
    function component(f,   a) {
      if (f ~ /CMakeFiles\/smv_footprint/) return "main";
      if (f !~ /\.a\(/) {
        if (f ~ /crt[^\/]*\.o$/) return "libc";
        return "other";
      }
      a = f; sub(/\(.*$/, "", a); sub(/^.*\//, "", a);
      if (a ~ /^libsmv(_core|_platform)?\.a$/) return "smv";
      if (a ~ /^libmbed(tls|x509|crypto)\.a$/ || a ~ /^lib(everest|p256m)\.a$/) return "mbedTLS";
      if (a == "libuv.a" || a == "libuv_a.a") return "libuv";
      if (a ~ /http_parser/) return "http-parser";
      if (a ~ /cares/) return "c-ares";
      if (a ~ /cjson/) return "cJSON";
      if (a ~ /^lib(c|gcc|gcc_eh|pthread|dl|rt|m|resolv)\.a$/) return "libc";
      return "other";
    }
    function hex(s,   i, n) {
      n = 0; s = tolower(s); sub(/^0x/, "", s);
      for (i = 1; i <= length(s); i++) n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1;
      return n;
    }
    function add(sec, size, file,   c, n) {
      n = hex(size);
      if (n == 0 || skip) return;
      c = component(file);
      if (mode == "objects") {
        if (c != "smv" || outsec ~ /^\.(t?bss)/) return;
        c = file; sub(/^.*\(/, "", c); sub(/\.o\)$/, "", c);
      }
      if (outsec ~ /^\.(t?bss)/ || sec ~ /^(\.t?bss|COMMON)/) bss[c] += n; else flash[c] += n;
    }
    /^Linker script and memory map/ { on = 1; next }
    !on { next }
    /^[^ ]/ {
      outsec = $1; wrapped = "";
      skip = (outsec ~ /^(\.debug|\.comment|\.ARM\.attributes|\.gnu\.attributes|\.stab|\/DISCARD\/)/);
      next
    }
    /^ [^ ]/ {
      wrapped = "";
      if ($1 == "*fill*") { if (NF >= 3) add("fill", $3, "fill"); next }
      if (NF == 1) { wrapped = $1; next }
      if (NF >= 4 && $2 ~ /^0x/ && $3 ~ /^0x/) add($1, $3, $4);
      next
    }
    wrapped != "" && $1 ~ /^0x/ && $2 ~ /^0x/ && NF >= 3 { add(wrapped, $2, $3); wrapped = ""; next }
    { wrapped = "" }
    END {
      for (c in flash) printf "%s %d %d\n", c, flash[c], bss[c];
      for (c in bss) if (!(c in flash)) printf "%s 0 %d\n", c, bss[c];
    }' "$1"
}

kib() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1024 }'; }

for arch in $arches; do
  preset="footprint-$arch"
  if [ -n "$root" ]; then
    build="$root/footprint-$arch"
  else
    build="$src/build-footprint-$arch"
  fi
  mkdir -p "$build"
  if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" --preset "$preset" -B "$build" ${SMV_DEPS_CACHE:+"-DSMV_DEPS_CACHE=$SMV_DEPS_CACHE"} >"$build/footprint-configure.log" 2>&1 ||
      { cat "$build/footprint-configure.log" >&2; echo "footprint: configuring $preset failed" >&2; exit 1; }
  fi
  prog=smv_footprint
  cmake --build "$build" --target smv_footprint -j2 >"$build/footprint-build.log" 2>&1 ||
    { tail -40 "$build/footprint-build.log" >&2; echo "footprint: building $prog ($preset) failed" >&2; exit 1; }
  bin="$build/bin/$prog"
  strip=$(sed -n 's/^CMAKE_STRIP:FILEPATH=//p' "$build/CMakeCache.txt")
  "${strip:-strip}" -o "$bin.stripped" "$bin"
  stripped=$(wc -c <"$bin.stripped" | tr -d ' ')
  emu=$(sed -n 's/^SMV_QEMU:FILEPATH=//p' "$build/CMakeCache.txt")
  runs="not run (no qemu)"
  if [ -n "$emu" ] && [ -x "$emu" ]; then
    # No arguments: the program prints its usage and returns 2.
    set +e
    "$emu" "$bin.stripped" >/dev/null 2>&1
    rc=$?
    set -e
    case "$rc" in 2) runs="loads and runs under $(basename "$emu")" ;; *) runs="FAILED under qemu (status $rc)" ;; esac
  fi

  echo "== $preset: $prog ($runs)"
  split_map "$bin.map" | sort >"$bin.split"
  printf '   %-12s %10s %10s\n' component "flash KiB" "bss KiB"
  all=0
  nolibc=0
  smv=0
  for c in smv main mbedTLS libuv http-parser c-ares cJSON libc other fill; do
    line=$(grep "^$c " "$bin.split" || true)
    [ -n "$line" ] || continue
    f=$(echo "$line" | cut -d' ' -f2)
    b=$(echo "$line" | cut -d' ' -f3)
    printf '   %-12s %10s %10s\n' "$c" "$(kib "$f")" "$(kib "$b")"
    all=$((all + f))
    [ "$c" = libc ] || nolibc=$((nolibc + f))
    [ "$c" != smv ] || smv=$f
  done
  printf '   %-12s %10s\n' "sum" "$(kib "$all")"
  # Where smv's own bytes go, largest first: the place to look when smv's target is missed.
  printf '   %-12s ' "smv's top"
  split_map "$bin.map" objects | sort -k2,2nr | head -8 |
    while read -r o f b; do printf '%s %s  ' "$o" "$(kib "$f")"; done
  echo
  printf '   %-12s %10s   (stripped file, headers and alignment included)\n' "stripped" "$(kib "$stripped")"
  printf '   %-12s %10s   (all components but libc)\n' "without libc" "$(kib "$nolibc")"
  if [ "$arch" = armhf ]; then
    verdict="met"
    if [ "$smv" -gt $((SMV_KIB_LIMIT * 1024)) ]; then
      verdict="MISSED: smv over ${SMV_KIB_LIMIT} KiB"
      failed=1
    fi
    if [ "$nolibc" -gt $((ALL_KIB_LIMIT * 1024)) ]; then
      verdict="MISSED: over ${ALL_KIB_LIMIT} KiB without libc"
      failed=1
    fi
    echo "   targets (smv <= ${SMV_KIB_LIMIT} KiB, all but libc <= ${ALL_KIB_LIMIT} KiB): $verdict"
  fi
done

if [ "$check" = 1 ] && [ "$failed" = 1 ]; then
  exit 1
fi
exit 0
