#!/usr/bin/env bash
# Round trips of issue 13, measured: the seed's chain with DNS names over a cellular link with a real
# round-trip time, smv and curl -L side by side, wall time divided by the RTT.
#
#   tests/bench/rtt.sh [--smv build/bin/smv] [--next-flow build/bin/smv_bench_next_flow]
#                      [--rtt "50 200"] [--runs 5] [--keep]
#
# Root (network namespaces). The topology is the harness's (tests/harness/lib.sh) with H_RTT_MS: the
# device's rmnet_data0 reaches the carrier through a radio network namespace whose link to the
# carrier is smv_delay_relay (this kernel has no netem), so DNS (the carrier's dnsmasq), TCP and TLS
# all cross the delay, as on a mobile network. The sandbox in the internet namespace is the service
# and the header-enrichment operator, by name: the chain is
#   https://svc.example/mi/device/T -> http://op.example/he/beta/T -> https://svc.example/.../he?..
#   -> myapp://verified (the returnUrl, not fetched)
# i.e. hop 1: DNS, TCP, TLS 1.3, request; hop 2: DNS, TCP, request; hop 3 on hop 1's connection:
# request. The floor for a first flow is 8 round trips.
#
# Each round runs, interleaved, with fresh tokens (made before the clock starts):
#   smv        `smv follow URL --return-url myapp://verified`, one process: a first flow
#   curl -L    `curl -L --max-redirs 2 URL` (stops at the returnUrl's redirect, exit 47): a first flow
#   smv next   smv_bench_next_flow URL1 URL2: two flows on one smv_client; the second is "next"
#   curl next  `curl -L --max-redirs 2 URL1 URL2`: one process, its second transfer is "next"
#   ... reconnecting: the same, the second flow at least 8 s after the first ended, when the sandbox
#       (idle timeout 5 s) has closed the connections: what is left to reuse is DNS answers and TLS
#       tickets (smv_bench_next_flow --pause-ms 8000; curl --rate 6/m, 10 s from start to start)
# Wall time: per process, spawn to exit, for the first flows; for "next", the flow's own time
# (smv: smv_flow_start to the callback; curl: time_total of the second transfer). The DNS queries
# column is what the carrier's dnsmasq logged during the flow, for "next" during both flows of the
# process (smv's own stats.dns_queries of the flow beside it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
smv="" next="" rtts="" runs="" keep=""
while [ $# -gt 0 ]; do
  case "$1" in
    --smv) smv=$2; shift ;;
    --next-flow) next=$2; shift ;;
    --rtt) rtts=$2; shift ;;
    --runs) runs=$2; shift ;;
    --keep) keep=1 ;;
    --at) RTT_AT=$2; shift ;;   # internal: one RTT, in its own namespaces
    *) echo "rtt.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
: "${smv:=$here/../../build/bin/smv}" "${rtts:=50 200}" "${runs:=5}"
smv=$(cd "$(dirname "$smv")" && pwd)/$(basename "$smv")
[ -n "$next" ] || next=$(dirname "$smv")/smv_bench_next_flow
[ -x "$smv" ] || { echo "rtt.sh: no smv binary at $smv (build first, or --smv PATH)" >&2; exit 2; }
[ -x "$next" ] || { echo "rtt.sh: no smv_bench_next_flow at $next (--next-flow PATH)" >&2; exit 2; }

if [ -z "${RTT_AT:-}" ]; then
  echo "| RTT ms | client | flow | ok | wall ms (p50) | wall / RTT (p50, min-max) | flow ms (p50) | conns | TLS resumed | DNS queries at the server | smv dns_queries |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  rc=0
  for r in $rtts; do
    RTT_AT=$r KEEP=$keep bash "$0" --smv "$smv" --next-flow "$next" --runs "$runs" --at "$r" || rc=$?
  done
  echo
  echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); relay timing in each RTT's relay.err (--keep)"
  exit "$rc"
fi

# ---- one RTT ---------------------------------------------------------------------------------------
set +e +u
H_CELL=4 H_WIFI=0 H_DEFAULT=cell H_RTT_MS=$RTT_AT H_NAME=rtt-$RTT_AT
H_CARRIER_RECORDS="op.example,203.0.113.100"
SMV=$smv
. "$here/../harness/lib.sh"
command -v curl >/dev/null 2>&1 || h_skip "needs curl (the peer)"
h_up
BACKEND=203.0.113.200
ip -n "$H_NET" addr add "$BACKEND/32" dev lo
h_sandbox "$(cat <<JSON
{
  "listeners": {"ip": "$H_SERVER4", "api_port": 443, "operator_port": 80,
                "api_host": "svc.example", "operator_host": "op.example"},
  "state_dir": "$H_WORK/sandbox-state",
  "callbacks": {"backoff_ms": 100, "max_attempts": 3},
  "operators": [{"name": "beta", "profile": "header_enrichment", "public_ipv4": "$H_PUBLIC4"}],
  "subscribers": [{"msisdn": "41780000001", "operator": "beta", "ports": [$H_BLOCK_LO, $H_BLOCK_HI]}]
}
JSON
)"
H_SERVER4=$BACKEND h_serve '{"routes": {"/cb": {"status": 200, "body": "ok\n"}}}' "$BACKEND" >/dev/null
H_VERIFY_EXTRA=',"returnUrl":"myapp://verified"'
H_VERIFY_CURL_OPTS="--resolve svc.example:443:$H_SERVER4"
RET=myapp://verified

token_url() { # a fresh deviceRedirectUrl
  h_verify "http://$BACKEND/cb?result={result}&token={token}" 41780000001
  jget "$H_WORK/verify.json" .deviceRedirectUrl
}
now_ns() { date +%s%N; }
dns_seen() { h_dns_total carrier-dns; }
ROWS="$H_WORK/rows"
: >"$ROWS"
# row CLIENT FLOW OK WALL_MS FLOW_MS CONNS RESUMED DNS_SEEN DNS_SMV
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ROWS"; }

for i in $(seq 1 "$runs"); do
  # smv, first flow (the CLI)
  url=$(token_url); q0=$(dns_seen); t0=$(now_ns)
  ip netns exec "$H_DEV" "$smv" follow "$url" --cacert "$H_SB_CA" --return-url "$RET" --json \
    --har "$H_WORK/smv.har" >"$H_WORK/smv.json" 2>"$H_WORK/smv.err"
  t1=$(now_ns)
  ok=$([ "$(jget "$H_WORK/smv.json" .outcome)" = return_url ] && echo 1 || echo 0)
  row smv first "$ok" $(( (t1 - t0) / 1000 )) "$(jget "$H_WORK/smv.json" .stats.ms)" \
    "$(jget "$H_WORK/smv.json" .stats.connections)" "$(jget "$H_WORK/smv.json" .stats.tls_resumed)" \
    $(( $(dns_seen) - q0 )) "$(jget "$H_WORK/smv.json" .stats.dns_queries)"

  # curl -L, first flow
  url=$(token_url); q0=$(dns_seen); t0=$(now_ns)
  out=$(ip netns exec "$H_DEV" curl -sS -L --max-redirs 2 --cacert "$H_SB_CA" -o /dev/null \
    -w '%{time_total} %{num_connects} %{redirect_url}\n' "$url" 2>"$H_WORK/curl.err")
  crc=$?
  t1=$(now_ns)
  set -- $out
  ok=$([ "$crc" = 47 ] && case "${3:-}" in "$RET"*) true ;; *) false ;; esac && echo 1 || echo 0)
  row "curl -L" first "$ok" $(( (t1 - t0) / 1000 )) "$(awk -v t="${1:-0}" 'BEGIN { printf "%.1f", t * 1000 }')" \
    "${2:-}" - $(( $(dns_seen) - q0 )) -

  for pause in 0 8000; do
    # smv, two flows on one client (pause 8000: after the server closed the idle connections, 5 s)
    flow=next; [ "$pause" = 0 ] || flow="next, reconnecting"
    u1=$(token_url); u2=$(token_url); q0=$(dns_seen)
    ip netns exec "$H_DEV" "$next" --cacert "$H_SB_CA" --return-url "$RET" --pause-ms "$pause" "$u1" "$u2" \
      >"$H_WORK/next.json" 2>"$H_WORK/next.err"
    q1=$(dns_seen)
    sed -n 2p "$H_WORK/next.json" >"$H_WORK/next2.json"
    python3 - "$H_WORK/next2.json" >"$H_WORK/next2.tsv" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    r = d["result"]
    s = r["stats"]
    print("\t".join(str(x) for x in (1 if r["outcome"] == "return_url" else 0, int(d["wall_ms"] * 1000),
                                     s["ms"], s["connections"], s["tls_resumed"], s["dns_queries"])))
except Exception:
    print("0\t0\t-\t-\t-\t-")
PY
    IFS=$'\t' read -r ok wall fms conns res dq <"$H_WORK/next2.tsv"
    row "smv" "$flow" "$ok" "$wall" "$fms" "$conns" "$res" "$(( q1 - q0 )) (both flows)" "$dq"

    # curl, two transfers in one process (--rate 6/m: the second starts 10 s after the first, so at
    # least 8 s after it ended at 200 ms RTT)
    rate=""; [ "$pause" = 0 ] || rate="--rate 6/m"
    u1=$(token_url); u2=$(token_url); q0=$(dns_seen)
    # shellcheck disable=SC2086
    out=$(ip netns exec "$H_DEV" curl -sS -L --max-redirs 2 $rate --cacert "$H_SB_CA" -o /dev/null -o /dev/null \
      -w '%{time_total} %{num_connects} %{redirect_url}\n' "$u1" "$u2" 2>"$H_WORK/curl.err" | sed -n 2p)
    set -- $out
    ok=$(case "${3:-}" in "$RET"*) echo 1 ;; *) echo 0 ;; esac)
    row "curl -L" "$flow" "$ok" "$(awk -v t="${1:-0}" 'BEGIN { printf "%d", t * 1e6 }')" \
      "$(awk -v t="${1:-0}" 'BEGIN { printf "%.1f", t * 1000 }')" "${2:-}" - "$(( $(dns_seen) - q0 )) (both flows)" -
  done
done

# the table: per client and flow, medians (wall in us in the rows)
python3 - "$ROWS" "$RTT_AT" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
rtt = float(sys.argv[2])
order = [("smv", "first"), ("curl -L", "first"), ("smv", "next"), ("curl -L", "next"),
         ("smv", "next, reconnecting"), ("curl -L", "next, reconnecting")]
def med(xs):
    xs = [float(x) for x in xs if x not in ("-", "", "null", "None")]
    return statistics.median(xs) if xs else None
def show(x, fmt="%.1f"):
    return "-" if x is None else fmt % x
for client, flow in order:
    rs = [r for r in rows if r[0] == client and r[1] == flow]
    if not rs:
        continue
    ok = sum(int(r[2]) for r in rs)
    walls = [float(r[3]) / 1000 for r in rs]
    ratios = [w / rtt for w in walls]
    dns = rs[-1][7]
    print("| %g | %s | %s | %d/%d | %s | %s (%.2f-%.2f) | %s | %s | %s | %s | %s |" % (
        rtt, client, flow, ok, len(rs), show(statistics.median(walls)), show(statistics.median(ratios), "%.2f"),
        min(ratios), max(ratios), show(med(r[4] for r in rs)), rs[-1][5], rs[-1][6],
        dns, rs[-1][8]))
PY
# where the first flow's time went, in round trips (the last smv run's HAR timings)
python3 - "$H_WORK/smv.har" "$RTT_AT" <<'PY'
import json, sys
rtt = float(sys.argv[2])
try:
    entries = json.load(open(sys.argv[1]))["log"]["entries"]
except Exception:
    sys.exit(0)
parts = []
for n, e in enumerate(entries, 1):
    t = e["timings"]
    # HAR 1.2: "connect" includes "ssl"; shown apart here (tcp = connect - ssl)
    if t.get("connect", -1) >= 0:
        t["tcp"] = t["connect"] - max(t.get("ssl", -1), 0)
    phases = " ".join("%s %.2f" % (k, t[k] / rtt) for k in ("dns", "tcp", "ssl", "send", "wait", "receive")
                      if t.get(k, -1) >= 0.05 * rtt)
    parts.append("hop %d: %s" % (n, phases or "-"))
print("|   | smv first flow, in RTTs | %s |" % "; ".join(parts))
PY
awk -F'\t' '$3 != 1 { bad = 1 } END { exit bad }' "$ROWS" || h_fail "a flow did not reach the returnUrl (rtt $RTT_AT ms)"
h_finish >/dev/null
