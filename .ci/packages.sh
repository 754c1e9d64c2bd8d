#!/usr/bin/env bash
# CI step (called by .ci/run) for the Debian packages of cmake/SmvPackage.cmake: builds them from the
# README's tree (build/), runs lintian (any finding not in cmake/debian/lintian-allowed.txt fails),
# installs the three on this machine (apt-get install ./*.deb), uses them as a user would (smv demo,
# man smv, the bash completion, pkg-config, tests/install's consumer built against /usr), then purges
# them and checks that the machine is as it was: no file of the packages left, no directory they
# made, dpkg knows none of them, ldconfig forgets libsmv. Root only (it installs packages).
# Usage: .ci/packages.sh [BUILD_DIR]   (default: build)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
start=$(date +%s)
step() { echo "== packages: $* ($(($(date +%s) - start)) s)"; }
fail() { echo "packages: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "must run as root (it installs and purges packages)"

step "cmake --build --target package"
rm -rf "$build/packages"
cmake --build "$build" --target package >"$build/package.log" 2>&1 || { tail -30 "$build/package.log" >&2; fail "cpack"; }
mapfile -t debs < <(ls "$build"/packages/*.deb)
names=()
for d in "${debs[@]}"; do names+=("$(dpkg-deb -f "$d" Package)"); done
[ "${#debs[@]}" = 3 ] || fail "expected 3 packages, got: ${names[*]}"
echo "   ${names[*]}"

step "lintian --pedantic"
lintian --pedantic "${debs[@]}" >"$build/lintian.log" 2>&1 || true
unexpected=""
while read -r level pkg tag _; do
  pkg=${pkg%:}
  grep -qE "^$pkg $tag " "$src/cmake/debian/lintian-allowed.txt" || unexpected="$unexpected $level $pkg $tag;"
done < <(grep -E '^[EWIPX]: ' "$build/lintian.log")
[ -z "$unexpected" ] || { cat "$build/lintian.log" >&2; fail "lintian findings not in cmake/debian/lintian-allowed.txt:$unexpected"; }
echo "   $(grep -cE '^[EWIPX]: ' "$build/lintian.log") finding(s), each listed with its reason"

# What the machine holds before: none of the packages, and which of their paths already exist.
for n in "${names[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$n" 2>/dev/null || true)
  case "$st" in ''|un*) ;; *) fail "$n is already on this machine ($st): not a clean machine" ;; esac
done
work=$(mktemp -d)
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then
    apt-get -o DPkg::Lock::Timeout=600 purge -y -qq "${names[@]}" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
for d in "${debs[@]}"; do dpkg-deb -c "$d"; done | awk '{print $6}' | sed 's|^\./|/|; s|/$||' |
  grep -v '^$' | sort -u >"$work/paths"
while read -r p; do [ -e "$p" ] || [ -L "$p" ] && echo "$p"; done <"$work/paths" >"$work/existed" || true

step "apt-get install ./*.deb"
export DEBIAN_FRONTEND=noninteractive
installed=1
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${debs[@]}" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "apt-get install"; }

step "use them: smv demo, man smv, completion, pkg-config, the consumer"
[ "$(command -v smv)" = /usr/bin/smv ] || fail "smv is not /usr/bin/smv"
(cd "$work" && smv demo >"$work/demo.log" 2>&1) || { cat "$work/demo.log" >&2; fail "smv demo"; }
grep -q 'VALID' "$work/demo.log" || fail "smv demo printed no VALID"
MANWIDTH=100 man smv 2>"$work/man.err" >"$work/man.txt" || { cat "$work/man.err" >&2; fail "man smv"; }
grep -q 'EXIT STATUS' "$work/man.txt" && grep -q -- '--return-url' "$work/man.txt" || fail "man smv: not smv's page"
# The completion as bash-completion loads it for `smv <TAB>`.
got=$(bash -c '. /usr/share/bash-completion/completions/smv; COMP_WORDS=(smv follow --ret); COMP_CWORD=2; _smv; echo "${COMPREPLY[*]}"')
[ "$got" = "--return-url" ] || fail "bash completion of 'smv follow --ret': '$got'"
flags=$(pkg-config --cflags --libs smv) || fail "pkg-config --cflags --libs smv"
echo "   pkg-config: $flags"
case " $flags " in *" -I/usr/include/smv "*"-lsmv "*) ;; *) fail "pkg-config gives '$flags'" ;; esac
"$src/tests/install/check.sh" /usr || fail "tests/install against the installed packages"

step "apt-get purge"
apt-get -o DPkg::Lock::Timeout=600 purge -y -qq "${names[@]}" >"$work/purge.log" 2>&1 ||
  { cat "$work/purge.log" >&2; fail "apt-get purge"; }
installed=0
for n in "${names[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$n" 2>/dev/null || true)
  case "$st" in ''|un*) ;; *) fail "dpkg still knows $n after the purge ($st)" ;; esac
done
left=""
while read -r p; do
  grep -qxF "$p" "$work/existed" && continue
  if [ -e "$p" ] || [ -L "$p" ]; then left="$left $p"; fi
done <"$work/paths"
[ -z "$left" ] || fail "left behind after the purge:$left"
! ldconfig -p | grep -q 'libsmv\.so' || fail "ldconfig still lists libsmv after the purge"
step "done: installed, used and purged ${names[*]}; nothing left"
