#!/usr/bin/env bash
# The full soak for CI: 1,000 flows in sequence and 200 at once (plus 200 on one long-lived client)
# under valgrind. Any leak or memory error exits 99; the soak's own checks (allocator bytes and
# descriptors back to the start after every client, resident memory flat) exit 1.
#   soak_valgrind.sh BUILD_DIR [SEQ PAR SHARED]
# Use a build without sanitizers (the default preset): ASan and valgrind do not mix.
set -u
BUILD=${1:?usage: soak_valgrind.sh BUILD_DIR [SEQ PAR SHARED]}
SEQ=${2:-1000}; PAR=${3:-200}; SHARED=${4:-200}
SOAK=$BUILD/bin/soak
[ -x "$SOAK" ] || { echo "no $SOAK: build the soak target" >&2; exit 1; }
# A small freed-blocks queue keeps valgrind's own footprint from passing for the process's growth;
# the RSS margin is wider than natively for the same reason.
start=$(date +%s)
valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
  --freelist-vol=2000000 "$SOAK" --seq "$SEQ" --par "$PAR" --shared "$SHARED" --url-path /token \
  --rss-margin-kb 16384
rc=$?
echo "soak under valgrind: exit $rc after $(( $(date +%s) - start )) s"
exit $rc
