#!/usr/bin/env bash
# The bash completion (src/cli/smv.bash) offers every command of `smv --help` and, after each
# command, every option that command's --help prints (tests/tree/cli_options.py), and completes
# option values where it should (an interface after --carrier, GET/POST after -X).
# Usage: completion.sh SMV COMPLETION_FILE
set -u
smv=$1
comp=$2
here=$(cd "$(dirname "$0")" && pwd)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# shellcheck source=/dev/null
. "$comp"
complete_words() { # WORD...: the completions of the last word
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMPREPLY=()
  _smv
  printf '%s\n' "${COMPREPLY[@]}"
}
opts=$(python3 "$here/cli_options.py" "$smv") || { echo "FAIL: cli_options.py"; exit 1; }
commands=$(echo "$opts" | awk '$1 != "smv" {print $1}' | sort -u)
top=$(complete_words smv "")
for c in $commands --version --help; do
  grep -qx -- "$c" <<<"$top" || fail "'smv <TAB>' does not offer $c"
done
n=0
while read -r cmd opt; do
  [ "$cmd" = smv ] && continue
  n=$((n + 1))
  complete_words smv "$cmd" "$opt" | grep -qx -- "$opt" || fail "'smv $cmd $opt<TAB>' does not offer $opt"
done <<<"$opts"
complete_words smv follow --carrier "l" | grep -qx lo || fail "'smv follow --carrier l<TAB>' does not offer lo"
[ "$(complete_words smv report -X "P")" = POST ] || fail "'smv report -X P<TAB>' does not give POST"
echo "completion: $(echo "$commands" | wc -w) commands and $n options checked, $fails failure(s)"
[ "$fails" -eq 0 ]
