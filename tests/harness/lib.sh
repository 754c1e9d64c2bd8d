# The network-namespace harness (issue 3): builds a phone-like device and the networks around it out
# of network namespaces, runs the smv CLI inside the device, and always takes everything down again.
#
# Why namespaces: the whole point of smv is which interface a request leaves on. Loopback cannot show
# that; four namespaces joined by veth pairs can, with a real carrier-grade NAT (nftables SNAT, a port
# block per subscriber), two DNS servers that answer differently, and packet counters on the path the
# flow must NOT take.
#
#   device ──rmnet_data0══cdev0── carrier ──cinet0══icar0── internet (smv testserver / sandbox)
#      └─────wlan0════════hdev0── home router ─hinet0══ihome0──┘
#
# Addresses (only the documentation and carrier ranges: docs/network-paths.md):
#   device rmnet_data0 100.64.0.2/30 (gw 100.64.0.1) | 2001:db8:100::2/64 (gw 2001:db8:100::1)
#   carrier DNS 100.64.53.53, 2001:db8:53::53 (dnsmasq, on the carrier's lo)
#   carrier public 203.0.113.1/30, SNAT of 100.64.0.2 to 203.0.113.1:20000-20999; internet 203.0.113.2
#   device wlan0 192.0.2.2/24, home router 192.0.2.1 (dnsmasq, and it intercepts every DNS query)
#   home router uplink 198.51.100.1/24 (masquerade), internet 198.51.100.2
#   the server: 203.0.113.100 and 2001:db8:2::100 on the internet's lo
#   tun0 198.51.100.200/32; hotspot gateway 192.168.43.1 (only in the routing table, never used)
#
# Usage: a scenario script sets the H_* knobs, sources this file, calls h_up, h_serve, h_smv and the
# h_expect_* checks, then h_finish. The smv binary is $1 (ctest passes it) or $SMV.
# Without root, or without ip / nft / dnsmasq, or where namespaces cannot be made, the script exits 77
# (ctest SKIP_RETURN_CODE) after saying why.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/schema.sh"  # smv_schema_check: what smv printed, checked

H_SMV=${SMV:-${1:-}}
H_NAME=${H_NAME:-$(basename "$0" .sh)}
H_CELL=${H_CELL:-4}          # 4: rmnet_data0 with IPv4, 6: IPv6 only, 0: no rmnet_data0
H_WIFI=${H_WIFI:-1}          # 1: wlan0 to the home router
H_DEFAULT=${H_DEFAULT:-cell} # which interface has the lowest-metric default route: cell | wifi
H_TUN=${H_TUN:-0}            # 1: tun0 (a real tun device) carries the default route
H_HOTSPOT=${H_HOTSPOT:-0}    # 1: wlan0's gateway is the Android hotspot default 192.168.43.1

H_BLOCK_LO=20000             # the device's port block on the carrier's public address
H_BLOCK_HI=20999
H_PUBLIC4=203.0.113.1
H_SERVER4=203.0.113.100
H_SERVER6=2001:db8:2::100
H_DEV4=100.64.0.2
H_DEV6=2001:db8:100::2

H_FAILS=0
H_PIDS=""
H_NSES=""
H_WORK=""
H_P="smvh$$"
H_DEV=$H_P-dev
H_CAR=$H_P-car
H_HOME=$H_P-home
H_NET=$H_P-inet

h_log() { printf '%s: %s\n' "$H_NAME" "$*" >&2; }
h_skip() { printf 'SKIP: %s: %s\n' "$H_NAME" "$*"; exit 77; }

h_pass() { printf 'ok    %s\n' "$*"; }
h_fail() { printf 'FAIL  %s\n' "$*"; H_FAILS=$((H_FAILS + 1)); }
# h_check DESCRIPTION COMMAND...: a check is a command that succeeds.
h_check() {
  local what=$1; shift
  if "$@"; then h_pass "$what"; else h_fail "$what"; fi
}

# ---- preconditions ---------------------------------------------------------------------------------

h_require() {
  [ "$(id -u)" = 0 ] || h_skip "needs root (network namespaces, veth, nftables)"
  local t
  for t in ip nft dnsmasq; do
    command -v "$t" >/dev/null 2>&1 || h_skip "needs '$t' (toolchains/install-build-deps.sh installs it)"
  done
  if [ -z "${H_FORCE_PYTHON:-}" ] && command -v jq >/dev/null 2>&1; then H_JSON=jq
  elif command -v python3 >/dev/null 2>&1; then H_JSON=python3
  else h_skip "needs jq or python3 to read JSON"; fi
  if [ -z "$H_SMV" ] || [ ! -x "$H_SMV" ]; then echo "FAIL: no smv binary (pass it as \$1 or SMV)"; exit 1; fi
  H_SMV=$(cd "$(dirname "$H_SMV")" && pwd)/$(basename "$H_SMV")
  h_sweep_stale
  # a container without CAP_SYS_ADMIN / CAP_NET_ADMIN cannot do any of this: say so, do not fail
  if ! ip netns add "$H_P-probe" 2>/dev/null; then h_skip "cannot create network namespaces here"; fi
  ip netns del "$H_P-probe"
}

# A run killed with SIGKILL (a ctest timeout) cannot clean up after itself: its namespaces are named
# smvh<its pid>-*, so the next run removes those whose script is gone, with what still runs in them.
h_sweep_stale() {
  local ns pid p d
  for ns in $(ip netns list 2>/dev/null | sed -n 's/^\(smvh[0-9]*-[a-z]*\).*/\1/p'); do
    pid=${ns#smvh}
    pid=${pid%%-*}
    kill -0 "$pid" 2>/dev/null && continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null && h_log "removed $ns, left behind by an interrupted run"
    rm -rf "/etc/netns/$ns"
  done
  for d in "${TMPDIR:-/tmp}"/smv-harness.[0-9]*.*; do
    [ -d "$d" ] || continue
    pid=${d##*/smv-harness.}
    pid=${pid%%.*}
    kill -0 "$pid" 2>/dev/null || rm -rf "$d"
  done
}

# ---- teardown: every process, namespace and file this run made, pass or fail ----------------------

h_cleanup() {
  local rc=$?
  set +e   # h_up runs under set -e: a kill of a process already gone must not end the teardown
  # a second signal must not cut the teardown short: it finishes, then the script exits
  trap '' INT TERM
  trap - EXIT
  local p ns
  for p in $H_PIDS; do kill "$p" 2>/dev/null; done
  for p in $H_PIDS; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  for ns in $H_NSES; do
    # anything still running inside a namespace we made is ours (started by this run), by its pid
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  done
  rm -rf "/etc/netns/$H_DEV"
  if [ -n "$H_WORK" ] && [ -d "$H_WORK" ]; then
    if [ "$H_FAILS" -ne 0 ] || [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then h_dump; fi
    if [ -n "${KEEP:-}" ]; then h_log "kept $H_WORK"; else rm -rf "$H_WORK"; fi
  fi
  exit "$rc"
}

h_dump() {
  local f
  for f in "$H_WORK"/*.log "$H_WORK"/*.out "$H_WORK"/*.err; do
    [ -s "$f" ] || continue
    echo "---- $(basename "$f")"
    tail -n 40 "$f"
  done
}

trap h_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- topology ---------------------------------------------------------------------------------------

h_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

h_mkns() {
  ip netns add "$1" || exit 1
  H_NSES="$H_NSES $1"
  ip -n "$1" link set lo up
}

# h_bg NS LOGNAME COMMAND...: a background process inside NS, remembered for the teardown.
h_bg() {
  local ns=$1 name=$2; shift 2
  ip netns exec "$ns" "$@" >"$H_WORK/$name.out" 2>"$H_WORK/$name.err" &
  H_PIDS="$H_PIDS $!"
}

# h_dnsmasq NS LOGNAME LISTEN... -- RECORDS...: a DNS server answering only its host records,
# logging every query. local=/example/ makes it the authority: no forwarding, NODATA for other types.
h_dnsmasq() {
  local ns=$1 name=$2; shift 2
  local args="" a
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args="$args --listen-address=$1"; shift; done
  shift
  for a in "$@"; do args="$args --host-record=$a"; done
  # shellcheck disable=SC2086
  h_bg "$ns" "$name-dnsmasq" dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --bind-interfaces $args --local=/example/ --user=root --group=root \
    --pid-file= --log-queries --log-facility="$H_WORK/$name.log" --cache-size=0
}

h_up() {
  H_WORK=$(mktemp -d "${TMPDIR:-/tmp}/smv-harness.$$.XXXXXX")
  chmod 755 "$H_WORK"
  h_mkns "$H_DEV"; h_mkns "$H_CAR"; h_mkns "$H_HOME"; h_mkns "$H_NET"
  set -e

  # carrier <-> internet
  ip -n "$H_CAR" link add cinet0 type veth peer name icar0 netns "$H_NET"
  ip -n "$H_CAR" addr add 203.0.113.1/30 dev cinet0
  ip -n "$H_CAR" addr add 2001:db8:1::1/64 dev cinet0 nodad
  ip -n "$H_NET" addr add 203.0.113.2/30 dev icar0
  ip -n "$H_NET" addr add 2001:db8:1::2/64 dev icar0 nodad
  ip -n "$H_CAR" link set cinet0 up
  ip -n "$H_NET" link set icar0 up
  # home router <-> internet
  ip -n "$H_HOME" link add hinet0 type veth peer name ihome0 netns "$H_NET"
  ip -n "$H_HOME" addr add 198.51.100.1/24 dev hinet0
  ip -n "$H_NET" addr add 198.51.100.2/24 dev ihome0
  ip -n "$H_HOME" link set hinet0 up
  ip -n "$H_NET" link set ihome0 up

  # the internet: the server's addresses, routes back to the carrier's IPv6 subscribers, and a
  # counter of every connection attempt to the server (what "the server saw nothing" means)
  ip -n "$H_NET" addr add "$H_SERVER4/32" dev lo
  ip -n "$H_NET" addr add "$H_SERVER6/128" dev lo nodad
  ip -n "$H_NET" route add 2001:db8:100::/64 via 2001:db8:1::1
  h_ns "$H_NET" nft -f - <<EOF
table inet smvh {
  counter syn_to_server {}
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr $H_SERVER4 tcp flags & (syn | ack) == syn counter name syn_to_server
    ip6 daddr $H_SERVER6 tcp flags & (syn | ack) == syn counter name syn_to_server
  }
}
EOF

  # the carrier: DNS on its lo, forwarding, the CGNAT
  ip -n "$H_CAR" addr add 100.64.53.53/32 dev lo
  ip -n "$H_CAR" addr add 2001:db8:53::53/128 dev lo nodad
  ip -n "$H_CAR" route add 203.0.113.0/24 via 203.0.113.2
  ip -n "$H_CAR" route add 2001:db8:2::/64 via 2001:db8:1::2
  h_ns "$H_CAR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  # One port block per subscriber on the shared public address: what the operator's CGNAT records
  # and the sandbox's ip_port matching rely on. Other 100.64/10 sources (none here) get the rest.
  h_ns "$H_CAR" nft -f - <<EOF
table ip smvh_cgnat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "cinet0" ip saddr $H_DEV4 meta l4proto { tcp, udp } snat to $H_PUBLIC4:$H_BLOCK_LO-$H_BLOCK_HI
    oifname "cinet0" ip saddr 100.64.0.0/10 meta l4proto { tcp, udp } snat to $H_PUBLIC4:30000-30999
    oifname "cinet0" ip saddr 100.64.0.0/10 snat to $H_PUBLIC4
  }
}
EOF
  h_dnsmasq "$H_CAR" carrier-dns 100.64.53.53 2001:db8:53::53 -- \
    "svc.example,$H_SERVER4" "svc6.example,$H_SERVER6"

  # the home router: NAT to its uplink, its own DNS, which also captures every DNS query that comes
  # in over WiFi (as many routers do), and the counters that must stay at zero
  h_ns "$H_HOME" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$H_HOME" route add 203.0.113.0/24 via 198.51.100.2
  h_ns "$H_HOME" nft -f - <<EOF
table inet smvh_home {
  counter wifi_to_server {}
  counter wifi_forwarded {}
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "hdev0" meta l4proto { tcp, udp } th dport 53 dnat ip to 192.0.2.1
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "hinet0" masquerade
  }
  chain forward {
    type filter hook forward priority 0; policy accept;
    ip daddr $H_SERVER4 counter name wifi_to_server
    iifname "hdev0" counter name wifi_forwarded
  }
}
EOF

  # the device
  local cell_metric=50 wifi_metric=100
  [ "$H_DEFAULT" = wifi ] && cell_metric=300
  if [ "$H_CELL" != 0 ]; then
    ip -n "$H_CAR" link add cdev0 type veth peer name rmnet_data0 netns "$H_DEV"
    if [ "$H_CELL" = 4 ]; then
      ip -n "$H_CAR" addr add 100.64.0.1/30 dev cdev0
      ip -n "$H_DEV" addr add "$H_DEV4/30" dev rmnet_data0
    else
      # IPv6-only: no IPv4 on the cellular side at all
      h_ns "$H_DEV" sysctl -qw net.ipv6.conf.all.accept_ra=0
      ip -n "$H_CAR" addr add 2001:db8:100::1/64 dev cdev0 nodad
      ip -n "$H_DEV" addr add "$H_DEV6/64" dev rmnet_data0 nodad
    fi
    ip -n "$H_CAR" link set cdev0 up
    ip -n "$H_DEV" link set rmnet_data0 up
    if [ "$H_CELL" = 4 ]; then
      ip -n "$H_DEV" route add default via 100.64.0.1 dev rmnet_data0 metric "$cell_metric"
    else
      ip -n "$H_DEV" -6 route add default via 2001:db8:100::1 dev rmnet_data0 metric "$cell_metric"
    fi
  fi
  if [ "$H_WIFI" = 1 ]; then
    ip -n "$H_HOME" link add hdev0 type veth peer name wlan0 netns "$H_DEV"
    ip -n "$H_HOME" addr add 192.0.2.1/24 dev hdev0
    ip -n "$H_DEV" addr add 192.0.2.2/24 dev wlan0
    ip -n "$H_HOME" link set hdev0 up
    ip -n "$H_DEV" link set wlan0 up
    if [ "$H_HOTSPOT" = 1 ]; then
      # the phone-hotspot default gateway: present in the table, unreachable, never to be used
      ip -n "$H_DEV" route add 192.168.43.1/32 dev wlan0 scope link
      ip -n "$H_DEV" route add default via 192.168.43.1 dev wlan0 metric "$wifi_metric"
    else
      ip -n "$H_DEV" route add default via 192.0.2.1 dev wlan0 metric "$wifi_metric"
    fi
    h_dnsmasq "$H_HOME" home-dns 192.0.2.1 -- "svc.example,198.51.100.77" "svc6.example,198.51.100.77"
  fi
  if [ "$H_TUN" = 1 ]; then
    ip -n "$H_DEV" tuntap add mode tun dev tun0
    ip -n "$H_DEV" addr add 198.51.100.200/32 dev tun0
    ip -n "$H_DEV" link set tun0 up
    ip -n "$H_DEV" route add default dev tun0 metric 10
  fi
  # a counter of anything the device sends toward the hotspot gateway
  h_ns "$H_DEV" nft -f - <<EOF
table inet smvh_dev {
  counter to_hotspot_gw {}
  chain output {
    type filter hook output priority 0; policy accept;
    ip daddr 192.168.43.1 counter name to_hotspot_gw
  }
}
EOF
  # the device's resolv.conf (ip netns exec mounts it over /etc/resolv.conf): the carrier's DNS,
  # or the router's when there is no cellular link
  mkdir -p "/etc/netns/$H_DEV"
  case $H_CELL in
    4) echo "nameserver 100.64.53.53" ;;
    6) echo "nameserver 2001:db8:53::53" ;;
    *) echo "nameserver 192.0.2.1" ;;
  esac >"/etc/netns/$H_DEV/resolv.conf"
  set +e
  h_wait_file "$H_WORK/carrier-dns.log" "started"
  [ "$H_WIFI" = 1 ] && h_wait_file "$H_WORK/home-dns.log" "started"
  return 0
}

# h_wait_file FILE PATTERN [TENTHS]: waits until FILE contains PATTERN.
h_wait_file() {
  local _
  for _ in $(seq 1 "${3:-100}"); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  h_log "timed out waiting for '$2' in $1"
  return 1
}

# ---- the server ------------------------------------------------------------------------------------

# h_serve ROUTES_JSON [BIND]: smv testserver in the internet namespace on 443 and 80 of BIND
# (default the IPv4 server address), logging every request it receives to server.log.
h_serve() {
  local bind=${2:-$H_SERVER4}
  printf '%s\n' "$1" >"$H_WORK/routes.json"
  h_bg "$H_NET" server "$H_SMV" testserver --script "$H_WORK/routes.json" --log "$H_WORK/server.log" \
    --dir "$H_WORK/ts" --bind "$bind" --https-port 443 --http-port 80
  h_wait_file "$H_WORK/server.out" '"https"' 150 || { h_fail "testserver did not start"; exit 1; }
  # shellcheck disable=SC2034 # the scenario scripts use it
  H_CA=$H_WORK/ts/ca.pem
}

# ---- running smv in the device ---------------------------------------------------------------------

# h_smv ARGS...: smv inside the device namespace; stdout to result.json, stderr to smv.err, status
# in H_RC.
h_smv() {
  ip netns exec "$H_DEV" "$H_SMV" "$@" >"$H_WORK/result.json" 2>"$H_WORK/smv.err"
  H_RC=$?
  smv_schema_check_run "$H_WORK/result.json" "$@" || h_fail "what smv printed or wrote does not match its schema (above)"
}

# jget FILE FILTER: a jq path (.a.b, .a[0].b, .a|length) read with jq, or python3 when jq is absent.
jget() {
  if [ "$H_JSON" = jq ]; then
    jq -r "$2" "$1" 2>/dev/null
  else
    python3 - "$1" "$2" <<'PY'
import json, sys
try:
    cur = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(1)
expr = sys.argv[2]
length = expr.endswith('|length')
if length:
    expr = expr[:-len('|length')]
for part in expr.replace('[', '.[').split('.'):
    if not part:
        continue
    if part.startswith('['):
        i = int(part[1:-1])
        cur = cur[i] if isinstance(cur, list) and i < len(cur) else None
    else:
        cur = cur.get(part) if isinstance(cur, dict) else None
if length:
    cur = len(cur) if cur is not None else 0
if cur is None:
    print('null')
elif isinstance(cur, bool):
    print('true' if cur else 'false')
elif isinstance(cur, (dict, list)):
    print(json.dumps(cur))
else:
    print(cur)
PY
  fi
}

h_result() { jget "$H_WORK/result.json" "$1"; }

# h_path_class IF: the class `smv paths --json` gives interface IF inside the device
h_path_class() {
  ip netns exec "$H_DEV" "$H_SMV" paths --json >"$H_WORK/paths.json" 2>/dev/null
  if [ "$H_JSON" = jq ]; then
    jq -r --arg n "$1" '.paths[] | select(.name == $n) | .class' "$H_WORK/paths.json"
  else
    python3 -c 'import json,sys; print("".join(p["class"] for p in json.load(open(sys.argv[1]))["paths"] if p["name"] == sys.argv[2]))' \
      "$H_WORK/paths.json" "$1"
  fi
}

# ---- what the others saw ---------------------------------------------------------------------------

# every peer "ip:port" / "[ip]:port" in the server's request log, one a line
h_server_peers() {
  [ -f "$H_WORK/server.log" ] || return 0
  grep -o '"peer":"[^"]*"' "$H_WORK/server.log" | sed 's/"peer":"//; s/"$//'
}
h_server_requests() {
  if [ -s "$H_WORK/server.log" ]; then grep -c . "$H_WORK/server.log"; else echo 0; fi
}

# h_counter NS TABLE NAME: packets counted by a named nftables counter
h_counter() {
  h_ns "$1" nft list counter inet "$2" "$3" | sed -n 's/.*packets \([0-9]*\).*/\1/p' | head -n 1
}

# h_dns_queries LOGNAME NAME: how many queries for NAME a dnsmasq logged
h_dns_queries() {
  local f="$H_WORK/$1.log"
  [ -f "$f" ] || { echo 0; return; }
  grep -c "query\[[A-Z]*\] $2 from" "$f" || true
}

# h_dns_total LOGNAME: every query a dnsmasq logged
h_dns_total() {
  local f="$H_WORK/$1.log"
  [ -f "$f" ] || { echo 0; return; }
  grep -c "query\[" "$f" || true
}

# ---- checks ----------------------------------------------------------------------------------------

h_expect_rc() {
  if [ "$H_RC" = "$1" ]; then h_pass "exit status $1"
  else h_fail "exit status $H_RC, expected $1 (stderr: $(head -c 400 "$H_WORK/smv.err"))"; fi
}

# h_expect_json FILTER VALUE
h_expect_json() {
  local got
  got=$(h_result "$1")
  if [ "$got" = "$2" ]; then h_pass "result $1 = $2"; else h_fail "result $1 = '$got', expected '$2'"; fi
}

# h_expect_json_match FILTER EXTENDED_REGEX
h_expect_json_match() {
  local got
  got=$(h_result "$1")
  if printf '%s' "$got" | grep -Eq -- "$2"; then h_pass "result $1 matches /$2/ ($got)"
  else h_fail "result $1 = '$got', expected to match /$2/"; fi
}

h_expect_eq() { # DESCRIPTION GOT EXPECTED
  if [ "$2" = "$3" ]; then h_pass "$1 = $3"; else h_fail "$1 = '$2', expected '$3'"; fi
}

h_expect_ge() { # DESCRIPTION GOT MIN
  if [ "${2:-0}" -ge "$3" ] 2>/dev/null; then h_pass "$1 = $2 (>= $3)"; else h_fail "$1 = '$2', expected >= $3"; fi
}

# every request the server got came from the carrier's public address, from the device's port block
h_expect_peers_in_block() {
  local n=0 bad=0 peer ip port
  for peer in $(h_server_peers); do
    n=$((n + 1))
    ip=${peer%:*}
    port=${peer##*:}
    if [ "$ip" != "$H_PUBLIC4" ] || [ "$port" -lt "$H_BLOCK_LO" ] || [ "$port" -gt "$H_BLOCK_HI" ]; then
      bad=$((bad + 1))
      h_fail "server saw $peer, outside $H_PUBLIC4:$H_BLOCK_LO-$H_BLOCK_HI"
    fi
  done
  if [ "$n" -ge "${1:-1}" ] && [ "$bad" = 0 ]; then
    h_pass "server saw $n request(s), all from $H_PUBLIC4:$H_BLOCK_LO-$H_BLOCK_HI ($(h_server_peers | tr '\n' ' '))"
  elif [ "$n" -lt "${1:-1}" ]; then
    h_fail "server saw $n request(s), expected at least ${1:-1}"
  fi
}

h_expect_server_saw_nothing() {
  h_expect_eq "requests logged by the server" "$(h_server_requests)" 0
  h_expect_eq "connection attempts counted at the server" "$(h_counter "$H_NET" smvh syn_to_server)" 0
}

h_finish() {
  # A result a scenario captured itself (a flow run in the background) and a sandbox's ready line.
  if [ -s "$H_WORK/result.json" ] && grep -q '"outcome"' "$H_WORK/result.json"; then
    smv_schema_check result "$H_WORK/result.json" || h_fail "the last --json result does not match its schema (above)"
  fi
  if [ -s "$H_WORK/sandbox-ready.json" ]; then
    smv_schema_check sandbox_ready "$H_WORK/sandbox-ready.json" || h_fail "the sandbox's ready line does not match its schema (above)"
  fi
  if [ "$H_FAILS" -eq 0 ]; then echo "PASS: $H_NAME"; exit 0; fi
  echo "FAILED: $H_NAME ($H_FAILS check(s))"
  exit 1
}

h_require
