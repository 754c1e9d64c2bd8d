#!/usr/bin/env bash
# The README's quick start runs as written: its shell lines (those after "$ ", with their "\"
# continuations) run in order, with build/bin/smv replaced by the smv under test and /tmp/smv-qs by a
# private directory; the follow must complete. Its C lines are compiled into a function, linked
# with libsmv.so and run on a fresh deviceRedirectUrl. The quick start stays within 30 lines.
# Usage: [CC=.. CFLAGS=..] readme.sh SOURCE_DIR SMV LIBSMV_SO
set -u
CFLAGS=${CFLAGS:-}
src=$(cd "$1" && pwd)
smv=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
lib=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/smv-readme.XXXXXX")
sandbox_pid=
cleanup() { [ -z "$sandbox_pid" ] || kill "$sandbox_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
for t in jq curl "${CC:-cc}"; do command -v "$t" >/dev/null || { echo "SKIP: $t is not installed"; exit 77; }; done

awk '/^## Quick start/{f=1; next} /^## /{f=0} f' "$src/README.md" >"$work/quick"
n=$(wc -l <"$work/quick")
[ "$n" -le 30 ] || fail "the quick start has $n lines (at most 30)"

# The shell part: "    $ cmd  # comment" lines and their continuations.
awk '/^    \$ /{sub(/^    \$ /, ""); print; c = /\\$/; next} c && /^    /{sub(/^    /, ""); print; c = /\\$/; next} {c = 0}' \
  "$work/quick" >"$work/quick.sh"
grep -q 'smv follow' "$work/quick.sh" || fail "no smv follow in the quick start"
sed -i "s|build/bin/smv|$smv|g; s|/tmp/smv-qs|$work/qs|g" "$work/quick.sh"
# The follow's result is kept to check it; the sandbox's pid to stop it if the lines do not.
sed -i "s|--json \"\$url\"\$|--json \"\$url\" \| tee $work/follow.json|" "$work/quick.sh"
printf 'echo "$!" >%s/sandbox.pid\n' "$work" >"$work/pid.sh"
awk -v pid="$work/pid.sh" '{print} /&[[:space:]]*(#.*)?$/ {while ((getline l < pid) > 0) print l}' \
  "$work/quick.sh" >"$work/run.sh"
# As a reader types them: no `set -e` (smv paths exits 3 on a machine without a cellular path).
(cd "$work" && timeout 60 bash "$work/run.sh") >"$work/run.out" 2>&1
rc=$?
sandbox_pid=$(cat "$work/sandbox.pid" 2>/dev/null)
[ "$rc" != 124 ] || { cat "$work/run.sh" "$work/run.out"; fail "the quick start's shell lines did not finish in 60 s"; }
[ "$(jq -r .outcome "$work/follow.json" 2>/dev/null)" = completed ] ||
  { cat "$work/run.sh" "$work/run.out"; fail "the quick start's follow did not complete"; }
for _ in $(seq 50); do kill -0 "$sandbox_pid" 2>/dev/null || break; sleep 0.1; done
if [ -n "$sandbox_pid" ] && kill -0 "$sandbox_pid" 2>/dev/null; then fail "the quick start's kill %1 left the sandbox running"; fi
sandbox_pid=
echo "ok: the quick start's $(wc -l <"$work/quick.sh") shell lines ran; the follow completed, the sandbox stopped"

# The C part: the indented lines after "From C".
awk '/^From C/{f=1; next} f && /^    /{sub(/^    /, ""); print; next} f && NF && !/^    /{if (seen) exit} /^    /{seen=1}' \
  "$work/quick" >"$work/snippet"
grep -q smv_follow_sync "$work/snippet" || fail "no C lines after 'From C'"
{
  printf '#include <smv.h>\n#include <stdio.h>\n\nint readme(const char *device_redirect_url);\n'
  printf 'int readme(const char *device_redirect_url) {\n'
  cat "$work/snippet"
  printf '  return rc;\n}\n\nint main(int argc, char **argv) { return argc == 2 ? readme(argv[1]) : 2; }\n'
} >"$work/readme.c"
# shellcheck disable=SC2086 # CFLAGS: the build's own flags (sanitizers), word by word
${CC:-cc} $CFLAGS -std=c11 -Wall -Wextra -Werror -I"$src/include" -o "$work/readme" "$work/readme.c" "$lib" -Wl,-rpath,"$(dirname "$lib")" 2>"$work/cc.err" ||
  { cat "$work/readme.c" "$work/cc.err"; fail "the quick start's C lines do not compile against smv.h"; }
# Its flow has no --carrier: on a machine without a cellular path it ends with SMV_ERR_NO_CARRIER_PATH,
# which is what it prints; either way it runs and prints an smv error name.
out=$("$work/readme" "https://127.0.0.1:9/mi/device/x") || fail "the quick start's C program exited $?"
case "$out" in SMV_*) ;; *) fail "the quick start's C program printed '$out'" ;; esac
echo "ok: the quick start's C lines compile, link with libsmv.so and run (printed $out)"
