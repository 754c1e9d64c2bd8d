#!/usr/bin/env bash
# Benchmark of issue 4: many device flows at once from one client loop against `smv sandbox`.
# Starts the sandbox with tests/bench/sandbox-bench.json (connection and pending-token limits above
# the load; state directory on tmpfs so the callback journal's fsync measures memory, not the disk),
# then runs smv_bench_flows for each concurrency, with TLS resumption as psk_dhe_ke, psk_ke (smv
# only) and off, for smv (one
# smv_client on one loop) and for the peer, curl's event loop (`curl --parallel`), and tabulates.
#
# Usage: tests/bench/flows.sh [--smv PATH] [--flows-bin PATH] [--flows N] [--concurrency "C ..."]
#                             [--clients "smv curl"] [--check]
#   --flows N          measured flows per row (default 5000)
#   --concurrency LIST default "100 500"
#   --clients LIST     default "smv curl curl-close"
#   --check            exit 1 unless smv reaches 1,000 flows/s with zero failures at 500 concurrent
# Other failures (a flow or callback that did not complete) always make the exit status 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build/bin"
smv="$build/smv"
flows_bin="$build/smv_bench_flows"
flows=5000
conc="100 500"
clients="smv curl curl-close"
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smv) smv="$2"; shift ;;
    --flows-bin) flows_bin="$2"; shift ;;
    --flows) flows="$2"; shift ;;
    --concurrency) conc="$2"; shift ;;
    --clients) clients="$2"; shift ;;
    --check) check=1 ;;
    *) sed -n '2,16p' "$0" >&2; exit 2 ;;
  esac
  shift
done
for f in "$smv" "$flows_bin"; do
  [ -x "$f" ] || { echo "flows.sh: no program at $f (build first)" >&2; exit 2; }
done
command -v curl >/dev/null || { echo "flows.sh: curl is needed (tokens, peer)" >&2; exit 2; }
# 500 flows, their callbacks and the sandbox's sockets need more than 1024 descriptors
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

shm=/dev/shm; [ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
work=$(mktemp -d "$shm/smv-bench-flows.XXXXXX")
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$smv" sandbox --config "$here/sandbox-bench.json" --state-dir "$work/state" >"$work/ready" 2>"$work/sandbox.err" &
pid=$!
for _ in $(seq 100); do
  grep -q '}' "$work/ready" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "flows.sh: the sandbox died:" >&2; cat "$work/sandbox.err" >&2; exit 1; }
  sleep 0.1
done
field() { python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$work/ready" "$1"; }
api=$(field api); ca=$(field ca); user=$(field user); password=$(field password)

echo "sandbox: $api (pid $pid); $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ); load average $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for c in $conc; do
  for resume in on psk off; do
    for client in $clients; do
      extra=()
      [ "$resume" = off ] && extra+=(--no-resume)
      if [ "$resume" = psk ]; then
        [ "$client" = smv ] || continue   # curl (OpenSSL) offers psk_dhe_ke only
        extra+=(--resume-without-ecdhe)
      fi
      [ "$client" = smv ] && extra+=(--warmup "$c")
      if ! "$flows_bin" --api "$api" --ca "$ca" --user "$user" --password "$password" \
          --flows "$flows" --concurrency "$c" --client "$client" --server-pid "$pid" \
          "${extra[@]}" >>"$work/results.jsonl"; then
        status=1
      fi
    done
  done
done
kill -0 "$pid" 2>/dev/null || { echo "flows.sh: the sandbox died during the run" >&2; status=1; }

python3 - "$work/results.jsonl" "$check" <<'PY' || status=1
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
head = ["client", "concurrent", "TLS resumption", "ok/flows", "flows/s", "p50 ms", "p99 ms",
        "max ms", "client CPU ms/flow", "sandbox CPU ms/flow", "callbacks VALID", "repeated",
        "connections", "TLS full", "TLS resumed", "heap peak KiB", "errors"]
cells = []
for r in rows:
    smv = r["client"] == "smv"
    cells.append([r["client"], str(r["concurrency"]), r["resumption"],
                  "%d/%d" % (r["ok"], r["flows"]), "%.0f" % r["flows_per_s"], "%.2f" % r["p50_ms"],
                  "%.2f" % r["p99_ms"], "%.1f" % r["max_ms"], "%.3f" % r["client_cpu_ms_per_flow"],
                  "%.3f" % r["server_cpu_ms_per_flow"],
                  "%d/%d" % (r["callbacks_valid"], r["callbacks_expected"]), str(r["callbacks_repeated"]),
                  str(r["connections"]) if smv else "-", str(r["tls_full"]) if smv else "-",
                  str(r["tls_resumed"]) if smv else "-",
                  "%.1f" % (r["heap_peak_bytes"] / 1024.0) if smv else "-",
                  ", ".join("%s x%d" % kv for kv in r["errors"].items()) or "none"])
w = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(head)]
fmt = lambda row: "| " + " | ".join(x.ljust(n) for x, n in zip(row, w)) + " |"
print(fmt(head))
print("|" + "|".join("-" * (n + 2) for n in w) + "|")
for c in cells:
    print(fmt(c))
bad = [r for r in rows if r["failed"] or r["ok"] != r["flows"] or r["callbacks_valid"] != r["callbacks_expected"]]
big = [r for r in rows if r["client"] == "smv" and r["concurrency"] >= 500]
for r in big:
    ok = r["flows_per_s"] >= 1000 and not r["failed"] and r["ok"] == r["flows"]
    print("%s >= 1,000 complete flows/s, zero failures, at %d concurrent (resumption %s): %.0f flows/s, %d failed"
          % ("met:   " if ok else "MISSED:", r["concurrency"], r["resumption"],
             r["flows_per_s"], r["failed"]))
    if not ok and sys.argv[2] == "1":
        sys.exit(1)
sys.exit(1 if bad else 0)
PY
exit $status
