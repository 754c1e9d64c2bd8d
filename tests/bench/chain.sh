#!/usr/bin/env bash
# Benchmark of issue 2: the chain A(https) -> B(http) -> A(https) -> returnUrl on loopback, smv
# against curl -L in the same run. Starts `smv testserver --scenario chain`, runs each client N times
# interleaved and prints a table: requests, connections (as the client reports them and as the
# server's request log counts them), full and resumed TLS handshakes (server log), wall and CPU time
# (wait4 per process), heap peak (smv's allocator hook, and valgrind massif for both clients).
#
# Usage: tests/bench/chain.sh [--smv PATH] [--runs N] [--no-massif] [--check] [--keep]
#   --smv PATH   the smv binary (default: build/bin/smv of this tree)
#   --runs N     runs per client and trust variant (default 50)
#   --no-massif  skip the valgrind massif runs
#   --check      exit 1 when a target of issue 2 is missed (by default only failed runs do)
#   --keep       keep the work directory (server log, massif files)
#
# Fairness: both clients make the same three requests and stop at the response that points at the
# custom-scheme returnUrl without fetching it: smv with --return-url, curl with --max-redirs 2 (it
# stops there with exit 47, and -w '%{redirect_url}' shows the returnUrl). Both trust the same roots:
# the test CA alone, or the system bundle plus the test CA (smv --capath DIR, curl --cacert FILE).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
smv="$here/../../build/bin/smv"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --smv) smv="$2"; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [ ! -x "$smv" ]; then echo "chain.sh: no smv binary at $smv (build first, or --smv PATH)" >&2; exit 2; fi
exec python3 "$here/chain.py" --smv "$smv" "${args[@]}"
