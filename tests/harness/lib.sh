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
#   carrier DNS 100.64.53.53, 2001:db8:53::53 (dnsmasq, on the carrier's lo; unbound with dns64 when
#     H_NAT64=1)
#   carrier public 203.0.113.1/30, SNAT of 100.64.0.2 to 203.0.113.1:20000-20999; internet 203.0.113.2
#   carrier NAT64 (H_NAT64=1): tayga, prefix 2001:db8:64::/96, pool 100.64.64.0/24, SNAT to the
#     subscriber's port block like 100.64.0.2
#   carrier enrichment proxy (H_HE_PROXY=1): nginx on :3128, talking to the internet from 203.0.113.9
#   device CLAT (H_CLAT=1): tayga, v4-rmnet_data0 192.0.0.4/29, its IPv6 side 2001:db8:100::464
#   radio network (H_RTT_MS=N): rmnet_data0's peer in its own namespace, forwarding to the carrier
#     through smv_delay_relay (TUN ran0 there, TUN cdev0 in the carrier, N ms round trip)
#   device wlan0 192.0.2.2/24, home router 192.0.2.1 (dnsmasq, and it intercepts every DNS query)
#   home router uplink 198.51.100.1/24 (masquerade), internet 198.51.100.2
#   the server: 203.0.113.100 and 2001:db8:2::100 on the internet's lo
#   tun0 198.51.100.200/32; hotspot gateway 192.168.43.1 (only in the routing table, never used)
#
# Usage: a scenario script sets the H_* knobs, sources this file, calls h_up, h_serve, h_smv and the
# h_expect_* checks, then h_finish. The smv binary is $1 (ctest passes it) or $SMV.
# Every h_smv run is followed by a leak check (h_leak_settle): until 2 s after smv exits, nothing may
# arrive at the home router from wlan0 (resets included) and nothing with a source address that is
# not the path's may arrive at the carrier from rmnet_data0 (ARP included).
# Without root, or without ip / nft / dnsmasq (or tayga, unbound, nginx when a knob needs them), or
# where namespaces cannot be made, the script exits 77 (ctest SKIP_RETURN_CODE) after saying why.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib/schema.sh"  # smv_schema_check: what smv printed, checked

H_SMV=${SMV:-${1:-}}
H_NAME=${H_NAME:-$(basename "$0" .sh)}
H_CELL=${H_CELL:-4}          # 4: rmnet_data0 with IPv4, 6: IPv6 only, 46: both, 0: no rmnet_data0
H_WIFI=${H_WIFI:-1}          # 1: wlan0 to the home router
H_DEFAULT=${H_DEFAULT:-cell} # which interface has the lowest-metric default route: cell | wifi
H_TUN=${H_TUN:-0}            # 1: tun0 (a real tun device) carries the default route
H_HOTSPOT=${H_HOTSPOT:-0}    # 1: wlan0's gateway is the Android hotspot default 192.168.43.1
H_NAT64=${H_NAT64:-0}        # 1 (with H_CELL=6): tayga NAT64 in the carrier, unbound DNS64 as its DNS
H_DNS64=${H_DNS64:-good}     # the DNS64's ipv4only.arpa answer: good | malformed | none (no dns64)
H_CLAT=${H_CLAT:-0}          # 1 (with H_NAT64=1): a CLAT (tayga) in the device, v4-rmnet_data0
H_V6_BROKEN=${H_V6_BROKEN:-0} # 1: the carrier drops IPv6 SYNs toward the server (h_break_ipv6)
H_HE_PROXY=${H_HE_PROXY:-0}  # 1: a transparent enrichment proxy (nginx) in the carrier
H_HE_HEADER=${H_HE_HEADER:-X-MSISDN}       # the header it adds
H_HE_MSISDN=${H_HE_MSISDN:-41780000001}    # the subscriber's number it puts there
H_HE_TARGET=${H_HE_TARGET:-203.0.113.100}  # the operator endpoint it intercepts and forwards to (:80)
H_RTT_MS=${H_RTT_MS:-}       # a round-trip time on the cellular link (ms): a radio network namespace
                             # between device and carrier, joined to the carrier by smv_delay_relay
H_CARRIER_RECORDS=${H_CARRIER_RECORDS:-}   # more "name,address" records for the carrier's dnsmasq

H_BLOCK_LO=20000             # the device's port block on the carrier's public address
H_BLOCK_HI=20999
H_PUBLIC4=203.0.113.1
H_SERVER4=203.0.113.100
H_SERVER6=2001:db8:2::100
H_DEV4=100.64.0.2
H_DEV6=2001:db8:100::2
H_PREF64=2001:db8:64::/96    # the NAT64's network-specific prefix (RFC 6052; tayga refuses
                             # 203.0.113.x under the well-known 64:ff9b::/96, RFC 6052 3.1)
H_NAT64_SERVER4=2001:db8:64::cb00:7164   # 203.0.113.100 under it
H_CLAT4=192.0.0.4            # the CLAT's IPv4 address (RFC 7335; Android's)
H_CLAT6=2001:db8:100::464    # and its IPv6 side, in the device's /64
H_PROXY4=203.0.113.9         # the enrichment proxy's address toward the internet
H_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

H_FAILS=0
H_PIDS=""
H_NSES=""
H_WORK=""
H_P="smvh$$"
H_DEV=$H_P-dev
H_CAR=$H_P-car
H_HOME=$H_P-home
H_NET=$H_P-inet
H_RAN=$H_P-ran
H_CELL_PEER=$H_CAR        # the namespace at the other end of rmnet_data0 (the RAN's with H_RTT_MS)

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
  local tools="ip nft dnsmasq"
  [ "$H_NAT64" = 1 ] && tools="$tools tayga unbound"
  [ "$H_CLAT" = 1 ] && tools="$tools tayga"
  [ "$H_HE_PROXY" = 1 ] && tools="$tools nginx"
  if [ -n "$H_RTT_MS" ]; then
    H_RELAY=${SMV_DELAY_RELAY:-$(dirname "$H_SMV")/smv_delay_relay}
    [ -x "$H_RELAY" ] || h_skip "needs smv_delay_relay next to smv (tests/bench builds it) or SMV_DELAY_RELAY"
  fi
  for t in $tools; do
    command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] ||
      h_skip "needs '$t' (toolchains/install-build-deps.sh installs it)"
  done
  PATH=$PATH:/usr/sbin
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
  # No duplicate address detection on the links made here: a tentative link-local address holds up
  # neighbour discovery, so the first IPv6 packet of a scenario would wait 1-2 s for it (timing
  # checks would measure DAD, not smv). The addresses are ours and unique by construction.
  ip netns exec "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
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

# ---- NAT64, DNS64, CLAT, the enrichment proxy ------------------------------------------------------

# h_ran_up: the radio network of H_RTT_MS. Its namespace holds rmnet_data0's peer (cdev0, with
# the device's gateway addresses, as the carrier's cdev0 does without it) and forwards everything to
# the carrier through smv_delay_relay: a TUN device ran0 here, a TUN device named cdev0 in the
# carrier, with the carrier's usual addresses, so that every rule of the carrier that names cdev0
# applies unchanged. The relay holds both devices: they go when it is stopped.
h_ran_up() {
  h_mkns "$H_RAN"
  H_CELL_PEER=$H_RAN
  h_bg "$H_RAN" relay "$H_RELAY" --tun-a ran0 --netns-b "/run/netns/$H_CAR" --tun-b cdev0 --rtt-ms "$H_RTT_MS"
  h_wait_file "$H_WORK/relay.out" ready 50 || { h_fail "smv_delay_relay did not start"; exit 1; }
  ip -n "$H_RAN" link set ran0 up
  ip -n "$H_CAR" link set cdev0 up
  ip -n "$H_CAR" addr add 100.64.0.1/30 dev cdev0
  ip -n "$H_CAR" addr add 2001:db8:100::1/64 dev cdev0 nodad
  ip -n "$H_RAN" route add default dev ran0
  ip -n "$H_RAN" -6 route add default dev ran0
  h_ns "$H_RAN" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# h_nat64_up: the carrier's NAT64, a stateful one as operators run it: tayga (stateless, RFC 7915)
# maps each IPv6 subscriber to an address of its pool 100.64.64.0/24, and the CGNAT above turns
# that into the carrier's public address with the subscriber's port block. The prefix is
# network-specific (H_PREF64): under the well-known 64:ff9b::/96 tayga, following RFC 6052 section
# 3.1, refuses non-global IPv4 destinations, and the harness's server is in 203.0.113.0/24.
h_nat64_up() {
  cat >"$H_WORK/tayga-carrier.conf" <<EOF
tun-device nat64
ipv4-addr 100.64.64.1
prefix $H_PREF64
dynamic-pool 100.64.64.0/24
EOF
  h_ns "$H_CAR" tayga -c "$H_WORK/tayga-carrier.conf" --mktun >"$H_WORK/tayga-carrier.mktun" 2>&1
  ip -n "$H_CAR" link set nat64 up
  ip -n "$H_CAR" route add 100.64.64.0/24 dev nat64
  ip -n "$H_CAR" -6 route add "$H_PREF64" dev nat64
  h_bg "$H_CAR" tayga-carrier tayga -c "$H_WORK/tayga-carrier.conf" -d
}

# h_unbound MODE: the carrier's DNS64, unbound with its dns64 module and H_PREF64 (RFC 6147). The
# names are in a local copy of the root zone (auth-zone for-upstream: the iterator reads it as if it
# came from the root servers, so the dns64 module runs on the answers; local-data would bypass it).
# ipv4only.arpa has its A records 192.0.0.170 and .171 (RFC 8880 section 2), so the AAAA a client asks
# for is synthesised from them exactly as for any A-only name: what a real DNS64 answers. MODE:
#   good       as above
#   malformed  the zone also has an AAAA for ipv4only.arpa (2001:db8:64::1, no well-known address in
#              it): a DNS64 passes an existing AAAA through, so that is the answer
#   none       no dns64 module: no AAAA for ipv4only.arpa (NODATA), nor for any A-only name
# Every query is logged to carrier-dns.log ("info: FROM NAME. TYPE IN"). A second call restarts it
# with the other mode (h_dns64_mode).
H_UNBOUND_PID=""
h_unbound() {
  local mode=$1 modules="dns64 iterator" extra=""
  case $mode in
    good) ;;
    malformed) extra="ipv4only.arpa. 3600 IN AAAA 2001:db8:64::1" ;;
    none) modules="iterator" ;;
    *) h_fail "unknown DNS64 mode $mode"; return 1 ;;
  esac
  cat >"$H_WORK/root.zone" <<EOF
\$TTL 300
.                   86400 IN SOA ns.carrier.example. hostmaster.carrier.example. 1 3600 600 86400 60
.                   86400 IN NS  ns.carrier.example.
ns.carrier.example.       IN AAAA 2001:db8:53::53
svc.example.              IN A    $H_SERVER4
svc6.example.             IN AAAA $H_SERVER6
ds.example.               IN A    $H_SERVER4
ds.example.               IN AAAA $H_SERVER6
ipv4only.arpa.       3600 IN A    192.0.0.170
ipv4only.arpa.       3600 IN A    192.0.0.171
$extra
EOF
  cat >"$H_WORK/unbound.conf" <<EOF
server:
  interface: 100.64.53.53
  interface: 2001:db8:53::53
  port: 53
  do-daemonize: no
  chroot: ""
  username: ""
  directory: "$H_WORK"
  pidfile: ""
  use-syslog: no
  logfile: "$H_WORK/carrier-dns.log"
  log-queries: yes
  log-replies: yes
  verbosity: 1
  num-threads: 1
  so-reuseport: no
  access-control: 0.0.0.0/0 allow
  access-control: ::/0 allow
  module-config: "$modules"
  dns64-prefix: $H_PREF64
auth-zone:
  name: "."
  zonefile: "$H_WORK/root.zone"
  for-downstream: no
  for-upstream: yes
  fallback-enabled: no
remote-control:
  control-enable: no
EOF
  h_bg "$H_CAR" carrier-dns unbound -d -c "$H_WORK/unbound.conf"
  H_UNBOUND_PID=$!
}

# h_dns64_mode MODE: restarts the carrier's unbound with another ipv4only.arpa answer (h_unbound)
h_dns64_mode() {
  local starts
  if [ -n "$H_UNBOUND_PID" ]; then
    kill "$H_UNBOUND_PID" 2>/dev/null
    wait "$H_UNBOUND_PID" 2>/dev/null
  fi
  starts=$(grep -c "start of service" "$H_WORK/carrier-dns.log" 2>/dev/null)
  h_unbound "$1" || return 1
  local _
  for _ in $(seq 1 100); do
    [ "$(grep -c "start of service" "$H_WORK/carrier-dns.log" 2>/dev/null)" -gt "${starts:-0}" ] && return 0
    sleep 0.1
  done
  h_fail "unbound did not restart in mode $1"
  return 1
}

# h_clat_up METRIC: 464XLAT's customer side (RFC 6877) as Android builds it: a second tayga in the
# device, on a tun named v4-rmnet_data0 that holds 192.0.0.4/29 (RFC 7335) and the device's IPv4
# default route (at the cellular metric). It translates 192.0.0.4 to its own IPv6 address in the
# device's /64 (H_CLAT6) and IPv4 destinations into the NAT64 prefix; those packets leave through
# rmnet_data0 like any IPv6 traffic, so the device forwards IPv6 and answers neighbour solicitations
# for H_CLAT6 on rmnet_data0 (proxy NDP).
h_clat_up() {
  cat >"$H_WORK/tayga-clat.conf" <<EOF
tun-device v4-rmnet_data0
ipv4-addr 192.0.0.1
prefix $H_PREF64
map $H_CLAT4 $H_CLAT6
EOF
  h_ns "$H_DEV" tayga -c "$H_WORK/tayga-clat.conf" --mktun >"$H_WORK/tayga-clat.mktun" 2>&1
  ip -n "$H_DEV" link set v4-rmnet_data0 up
  ip -n "$H_DEV" addr add "$H_CLAT4/29" dev v4-rmnet_data0
  ip -n "$H_DEV" route add default dev v4-rmnet_data0 metric "$1"
  ip -n "$H_DEV" -6 route add "$H_CLAT6/128" dev v4-rmnet_data0
  h_ns "$H_DEV" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.conf.rmnet_data0.proxy_ndp=1 \
    net.ipv4.conf.v4-rmnet_data0.rp_filter=2
  ip -n "$H_DEV" -6 neigh add proxy "$H_CLAT6" dev rmnet_data0
  # and, as for the device's own address, a permanent entry on the carrier's side (h_static_nd)
  ip -n "$H_CELL_PEER" -6 neigh replace "$H_CLAT6" dev cdev0 nud permanent \
    lladdr "$(ip -n "$H_DEV" link show rmnet_data0 | awk '/link\/ether/ { print $2 }')"
  h_bg "$H_DEV" tayga-clat tayga -c "$H_WORK/tayga-clat.conf" -d
}

# h_static_nd: permanent IPv6 neighbour entries on the links between device, carrier and internet.
# In these namespaces the first packet forwarded while two neighbour resolutions ran at once was lost
# (the server's first SYN-ACK: a 1 s TCP retransmission in the first IPv6 connection of every
# scenario, curl's as smv's), which timing checks would then measure. A cellular link resolves
# nothing anyway (3GPP's is point to point); the internet link is the harness's own.
h_static_nd() {
  local mac
  mac=$(ip -n "$H_CELL_PEER" link show cdev0 | awk '/link\/ether/ { print $2 }')
  ip -n "$H_DEV" -6 neigh replace 2001:db8:100::1 lladdr "$mac" dev rmnet_data0 nud permanent
  mac=$(ip -n "$H_DEV" link show rmnet_data0 | awk '/link\/ether/ { print $2 }')
  ip -n "$H_CELL_PEER" -6 neigh replace "$H_DEV6" lladdr "$mac" dev cdev0 nud permanent
  mac=$(ip -n "$H_NET" link show icar0 | awk '/link\/ether/ { print $2 }')
  ip -n "$H_CAR" -6 neigh replace 2001:db8:1::2 lladdr "$mac" dev cinet0 nud permanent
  mac=$(ip -n "$H_CAR" link show cinet0 | awk '/link\/ether/ { print $2 }')
  ip -n "$H_NET" -6 neigh replace 2001:db8:1::1 lladdr "$mac" dev icar0 nud permanent
}

# h_break_ipv6 / h_mend_ipv6: the carrier drops (counting them) the IPv6 SYNs toward the server, and
# nothing else: a dual-stack network whose IPv6 is broken in the way Happy Eyeballs exists for.
h_break_ipv6() {
  h_ns "$H_CAR" nft -f - <<EOF
table inet smvh_v6fault {
  counter v6_syn_dropped {}
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip6 daddr $H_SERVER6 tcp flags & (syn | ack) == syn counter name v6_syn_dropped drop
  }
}
EOF
}
h_mend_ipv6() { h_ns "$H_CAR" nft delete table inet smvh_v6fault 2>/dev/null; return 0; }

# h_he_proxy_up: the operator's header-enrichment proxy, transparent, as operators place it in the
# path of their subscribers' plain HTTP: nftables in the carrier redirects the device's connections
# to H_HE_TARGET:80 (over IPv4, or over IPv6 to its NAT64 address) to nginx on :3128, which adds
# H_HE_HEADER with the subscriber's number (looked up by the device's address, as the operator's
# records do) and forwards the request from its own address H_PROXY4. The header is set, never
# passed through: whatever the device sent under that name is replaced, so it cannot claim a
# number. proxy.log has one line per request (client, request, header received, header sent).
h_he_proxy_up() {
  mkdir -p "$H_WORK/nginx"
  ip -n "$H_CAR" addr add "$H_PROXY4/32" dev lo
  ip -n "$H_NET" route add "$H_PROXY4/32" via 203.0.113.1
  local hvar
  hvar=http_$(printf '%s' "$H_HE_HEADER" | tr 'A-Z-' 'a-z_')
  cat >"$H_WORK/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $H_WORK/nginx/nginx.pid;
error_log $H_WORK/proxy-error.log info;
events { worker_connections 64; }
http {
  client_body_temp_path $H_WORK/nginx/body;
  proxy_temp_path $H_WORK/nginx/proxy;
  fastcgi_temp_path $H_WORK/nginx/fastcgi;
  uwsgi_temp_path $H_WORK/nginx/uwsgi;
  scgi_temp_path $H_WORK/nginx/scgi;
  log_format smvh '\$remote_addr:\$remote_port "\$request" \$status got="\$$hvar" sent="\$smvh_msisdn"';
  access_log $H_WORK/proxy.log smvh;
  map \$remote_addr \$smvh_msisdn {
    default         "";
    $H_DEV4      $H_HE_MSISDN;
    $H_DEV6 $H_HE_MSISDN;
  }
  server {
    listen 3128;
    listen [::]:3128;
    location / {
      proxy_pass http://$H_HE_TARGET:80;
      proxy_bind $H_PROXY4;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header $H_HE_HEADER \$smvh_msisdn;
      proxy_buffering off;
    }
  }
}
EOF
  h_ns "$H_CAR" nft -f - <<EOF
table inet smvh_he {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "cdev0" ip daddr $H_HE_TARGET tcp dport 80 redirect to :3128
    iifname "cdev0" ip6 daddr $H_NAT64_SERVER4 tcp dport 80 redirect to :3128
  }
}
EOF
  h_bg "$H_CAR" proxy nginx -p "$H_WORK/nginx" -e "$H_WORK/proxy-error.log" -c "$H_WORK/nginx.conf"
}

# h_wait_listen NS PORT: waits until something listens on TCP PORT in NS
h_wait_listen() {
  local _
  for _ in $(seq 1 100); do
    h_ns "$1" ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  h_log "nothing listens on port $2 in $1"
  return 1
}

# ---- what must never leave: the leak counters ------------------------------------------------------

# h_leak_counters_up: netdev ingress counters at the far end of each of the device's links, so that
# they see every frame the device sends, ARP included, before any routing or filtering:
#   - the home router's hdev0 (wlan0's peer): everything but IPv6 link housekeeping (neighbour
#     discovery, MLD, router solicitation: sources :: and fe80::/10), which the kernel sends on any
#     link that is up. A flow on the carrier path has nothing to do there, not even a reset.
#   - the carrier's cdev0 (rmnet_data0's peer): frames whose source is not an address of the path:
#     ARP or IPv4 from anything but 100.64.0.2 (any at all on an IPv6-only path), IPv6 from outside
#     2001:db8:100::/64 (the device's addresses and its CLAT's) and the link-local range.
h_leak_counters_up() {
  if [ "$H_WIFI" = 1 ]; then
    h_ns "$H_HOME" nft -f - <<EOF
table netdev smvh_wifi_leak {
  counter from_wlan0 {}
  chain ingress {
    type filter hook ingress device "hdev0" priority 0; policy accept;
    meta protocol arp counter name from_wlan0
    meta protocol ip counter name from_wlan0
    meta protocol ip6 ip6 saddr != { ::, fe80::/10 } counter name from_wlan0
  }
}
EOF
  fi
  if [ "$H_CELL" != 0 ]; then
    local v4rules
    if [ "$H_CELL" = 6 ]; then
      v4rules="meta protocol arp counter name foreign_src
    meta protocol ip counter name foreign_src"
    else
      v4rules="meta protocol arp arp saddr ip != $H_DEV4 counter name foreign_src
    meta protocol ip ip saddr != $H_DEV4 counter name foreign_src"
    fi
    h_ns "$H_CELL_PEER" nft -f - <<EOF
table netdev smvh_cell_leak {
  counter foreign_src {}
  chain ingress {
    type filter hook ingress device "cdev0" priority 0; policy accept;
    $v4rules
    meta protocol ip6 ip6 saddr != { ::, fe80::/10, 2001:db8:100::/64 } counter name foreign_src
  }
}
EOF
  fi
}

h_netdev_counter() { # NS TABLE NAME
  h_ns "$1" nft list counter netdev "$2" "$3" 2>/dev/null | sed -n 's/.*packets \([0-9]*\).*/\1/p' | head -n 1
}
h_wifi_leaks() { [ "$H_WIFI" = 1 ] && h_netdev_counter "$H_HOME" smvh_wifi_leak from_wlan0; }
h_cell_leaks() { [ "$H_CELL" != 0 ] && h_netdev_counter "$H_CELL_PEER" smvh_cell_leak foreign_src; }

# The leak check of the last smv run: h_leak_mark after it exits (h_smv does it), h_leak_settle
# before the next run and in h_finish. Settling waits until 2 s after that exit (late FINs, TLS
# close_notify and the kernel's resets for sockets already closed come then), and checks that the
# counters did not move since the run started. A run that is meant to use WiFi (a control flow:
# H_WIFI_EXPECTED=1 for its h_smv) is not checked; the counters are read again after its 2 s.
H_LEAK_PENDING=""
H_LEAK_T=0
H_LEAK_EXEMPT=0
H_LEAK_W0=""
H_LEAK_C0=""
h_leak_start() {
  H_LEAK_W0=$(h_wifi_leaks)
  H_LEAK_C0=$(h_cell_leaks)
  H_LEAK_EXEMPT=${H_WIFI_EXPECTED:-0}
}
h_leak_mark() {
  H_LEAK_T=$(date +%s%N)
  H_LEAK_PENDING=${1:-smv}
}
h_leak_settle() {
  [ -n "$H_LEAK_PENDING" ] || return 0
  local left w c
  left=$(( (H_LEAK_T + 2000000000 - $(date +%s%N)) / 1000000 ))
  [ "$left" -gt 0 ] && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
  if [ "$H_LEAK_EXEMPT" != 1 ]; then
    w=$(h_wifi_leaks)
    c=$(h_cell_leaks)
    [ -n "$w" ] && h_expect_eq "frames from wlan0 at the home router, until 2 s after $H_LEAK_PENDING exited" \
      "$((w - ${H_LEAK_W0:-0}))" 0
    [ -n "$c" ] && h_expect_eq "frames on rmnet_data0 from an address not the path's, until 2 s after $H_LEAK_PENDING exited" \
      "$((c - ${H_LEAK_C0:-0}))" 0
  fi
  H_LEAK_PENDING=""
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
    oifname "cinet0" ip saddr 100.64.64.0/24 meta l4proto { tcp, udp } snat to $H_PUBLIC4:$H_BLOCK_LO-$H_BLOCK_HI
    oifname "cinet0" ip saddr 100.64.0.0/10 meta l4proto { tcp, udp } snat to $H_PUBLIC4:30000-30999
    oifname "cinet0" ip saddr 100.64.0.0/10 snat to $H_PUBLIC4
  }
}
EOF
  if [ "$H_NAT64" = 1 ]; then
    h_nat64_up
    h_unbound "$H_DNS64"
  else
    h_dnsmasq "$H_CAR" carrier-dns 100.64.53.53 2001:db8:53::53 -- \
      "svc.example,$H_SERVER4" "svc6.example,$H_SERVER6" "ds.example,$H_SERVER4,$H_SERVER6" \
      $H_CARRIER_RECORDS
  fi

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
    [ -n "$H_RTT_MS" ] && h_ran_up
    ip -n "$H_CELL_PEER" link add cdev0 type veth peer name rmnet_data0 netns "$H_DEV"
    if [ "$H_CELL" = 4 ] || [ "$H_CELL" = 46 ]; then
      ip -n "$H_CELL_PEER" addr add 100.64.0.1/30 dev cdev0
      ip -n "$H_DEV" addr add "$H_DEV4/30" dev rmnet_data0
    fi
    if [ "$H_CELL" = 6 ] || [ "$H_CELL" = 46 ]; then
      # IPv6 (and for H_CELL=6 no IPv4 on the cellular side at all), addresses set by hand
      h_ns "$H_DEV" sysctl -qw net.ipv6.conf.all.accept_ra=0
      ip -n "$H_CELL_PEER" addr add 2001:db8:100::1/64 dev cdev0 nodad
      ip -n "$H_DEV" addr add "$H_DEV6/64" dev rmnet_data0 nodad
    fi
    ip -n "$H_CELL_PEER" link set cdev0 up
    ip -n "$H_DEV" link set rmnet_data0 up
    if [ "$H_CELL" = 4 ] || [ "$H_CELL" = 46 ]; then
      ip -n "$H_DEV" route add default via 100.64.0.1 dev rmnet_data0 metric "$cell_metric"
    fi
    if [ "$H_CELL" = 6 ] || [ "$H_CELL" = 46 ]; then
      ip -n "$H_DEV" -6 route add default via 2001:db8:100::1 dev rmnet_data0 metric "$cell_metric"
    fi
    [ "$H_CELL" != 4 ] && h_static_nd
    [ "$H_CLAT" = 1 ] && h_clat_up "$cell_metric"
    [ "$H_V6_BROKEN" = 1 ] && h_break_ipv6
    [ "$H_HE_PROXY" = 1 ] && h_he_proxy_up
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
    4 | 46) echo "nameserver 100.64.53.53" ;;
    6) echo "nameserver 2001:db8:53::53" ;;
    *) echo "nameserver 192.0.2.1" ;;
  esac >"/etc/netns/$H_DEV/resolv.conf"
  h_leak_counters_up
  set +e
  if [ "$H_NAT64" = 1 ]; then h_wait_file "$H_WORK/carrier-dns.log" "start of service"
  else h_wait_file "$H_WORK/carrier-dns.log" "started"; fi
  [ "$H_WIFI" = 1 ] && h_wait_file "$H_WORK/home-dns.log" "started"
  [ "$H_HE_PROXY" = 1 ] && h_wait_listen "$H_CAR" 3128
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

# h_serve ROUTES_JSON [BIND [NAME]]: smv testserver in the internet namespace on 443 and 80 of BIND
# (default the IPv4 server address), logging every request it receives to NAME.log (default
# server.log). The first one's CA is H_CA; H_CA_ALL holds the CAs of every server started, for a
# chain that crosses two of them.
h_serve() {
  local bind=${2:-$H_SERVER4} name=${3:-server}
  printf '%s\n' "$1" >"$H_WORK/$name-routes.json"
  h_bg "$H_NET" "$name" "$H_SMV" testserver --script "$H_WORK/$name-routes.json" --log "$H_WORK/$name.log" \
    --dir "$H_WORK/ts-$name" --bind "$bind" --https-port 443 --http-port 80
  h_wait_file "$H_WORK/$name.out" '"https"' 150 || { h_fail "testserver $name did not start"; exit 1; }
  # shellcheck disable=SC2034 # the scenario scripts use them
  [ "$name" = server ] && H_CA=$H_WORK/ts-server/ca.pem
  cat "$H_WORK/ts-$name/ca.pem" >>"$H_WORK/ca-all.pem"
  # shellcheck disable=SC2034
  H_CA_ALL=$H_WORK/ca-all.pem
}

# h_chain_routes TOKEN [MORE_ROUTES]: the route table of a three-hop chain on the IPv4 server, for
# h_serve: /start -> http://svc.example/dns (a name: the carrier's DNS) -> https://203.0.113.100/finish
# (200, the token), and /probe (200) for other clients. MORE_ROUTES: '"/x": {...},' entries.
h_chain_routes() {
  printf '{"routes": {%s\n  "/probe": {"status": 200, "body": "probe\\n"},
  "/start": {"status": 302, "headers": {"Location": "http://svc.example/dns"}},
  "/dns": {"status": 302, "headers": {"Location": "https://%s/finish"}},
  "/finish": {"status": 200, "json": {"token": "%s", "returnUrl": null}}}}\n' "${2:-}" "$H_SERVER4" "$1"
}

# ---- the sandbox and an app backend (demo_netns.sh, s12) -------------------------------------------

# h_sandbox CONFIG_JSON: smv sandbox in the internet namespace with that configuration; sets
# H_SB_API, H_SB_CA, H_SB_USER, H_SB_PASS from its ready line.
h_sandbox() {
  printf '%s\n' "$1" >"$H_WORK/sandbox.json"
  mkdir -p "$H_WORK/sandbox-state"
  h_bg "$H_NET" sandbox "$H_SMV" sandbox --config "$H_WORK/sandbox.json" -v
  h_wait_file "$H_WORK/sandbox.out" '"api"' 150 || { h_fail "the sandbox did not start"; exit 1; }
  head -n 1 "$H_WORK/sandbox.out" >"$H_WORK/sandbox-ready.json"
  H_SB_API=$(jget "$H_WORK/sandbox-ready.json" .api)
  H_SB_CA=$(jget "$H_WORK/sandbox-ready.json" .ca)
  H_SB_USER=$(jget "$H_WORK/sandbox-ready.json" .user)
  H_SB_PASS=$(jget "$H_WORK/sandbox-ready.json" .password)
}

# h_verify CALLBACK_URL MSISDN [DEVICE_IP DEVICE_PORT]: the app backend's POST .../verify (curl
# from the internet namespace); the answer in verify.json, the request body in H_VERIFY_BODY.
# H_VERIFY_EXTRA is added to the body (',"returnUrl":"..."'); H_VERIFY_CURL_OPTS to curl's options
# (--resolve when the API has a name only the carrier's DNS knows).
h_verify() {
  H_VERIFY_BODY="{\"phoneNumber\":\"$2\",\"callbackUrl\":\"$1\",\"consentGranted\":true"
  [ $# -ge 4 ] && H_VERIFY_BODY="$H_VERIFY_BODY,\"deviceIp\":\"$3\",\"devicePort\":$4"
  H_VERIFY_BODY="$H_VERIFY_BODY${H_VERIFY_EXTRA:-}}"
  # shellcheck disable=SC2086 # options, split on purpose
  ip netns exec "$H_NET" curl -sS --max-time 10 ${H_VERIFY_CURL_OPTS:-} --cacert "$H_SB_CA" -u "$H_SB_USER:$H_SB_PASS" \
    -H 'Content-Type: application/json' -d "$H_VERIFY_BODY" "$H_SB_API/mi/verification/1/verify" \
    >"$H_WORK/verify.json" 2>"$H_WORK/curl.err"
}

# h_await_callback TOKEN [TENTHS]: the result the backend's callback receiver (server.log of an
# h_serve with a /callback route) got for TOKEN, waiting up to TENTHS/10 s (default 10 s); "(none)".
h_await_callback() {
  local line _
  for _ in $(seq 1 "${2:-100}"); do
    line=$(grep -o "\"target\":\"/callback?result=[^&\"]*&token=$1\"" "$H_WORK/server.log" 2>/dev/null | head -n 1)
    if [ -n "$line" ]; then
      line=${line#*result=}
      echo "${line%%&*}"
      return
    fi
    sleep 0.1
  done
  echo "(none)"
}

# ---- running smv in the device ---------------------------------------------------------------------

# h_smv ARGS...: smv inside the device namespace; stdout to result.json, stderr to smv.err, status
# in H_RC. The leak check of the run before is settled first, and this run's is left pending.
h_smv() {
  h_leak_settle
  h_leak_start
  ip netns exec "$H_DEV" "$H_SMV" "$@" >"$H_WORK/result.json" 2>"$H_WORK/smv.err"
  H_RC=$?
  smv_schema_check_run "$H_WORK/result.json" "$@" || h_fail "what smv printed or wrote does not match its schema (above)"
  h_leak_mark "smv $1"
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

# The DNS servers' query logs, dnsmasq's ("query[AAAA] NAME from ADDR") or unbound's
# ("info: ADDR NAME. AAAA IN"), read alike: one line per query received (cache hits included).
h_dns_lines() { # LOGNAME: "TYPE NAME FROM" per query
  local f="$H_WORK/$1.log"
  [ -f "$f" ] || return 0
  sed -n -e 's/.*query\[\([A-Z0-9]*\)\] \([^ ]*\) from \([^ ]*\)$/\1 \2 \3/p' \
    -e 's/.* info: \([^ ]*\) \([^ ]*\)\. \([A-Z0-9]*\) IN$/\3 \2 \1/p' "$f"
}

# h_dns_queries LOGNAME NAME [TYPE]: how many queries for NAME (of TYPE) a DNS server logged
h_dns_queries() {
  h_dns_lines "$1" | awk -v n="$2" -v t="${3:-}" '$2 == n && (t == "" || $1 == t)' | grep -c . || true
}

# h_dns_total LOGNAME: every query a DNS server logged
h_dns_total() {
  h_dns_lines "$1" | grep -c . || true
}

# h_dns_seen LOGNAME TYPE NAME FROM: the server logged a TYPE query for NAME from address FROM
h_dns_seen() {
  h_dns_lines "$1" | grep -qxF "$2 $3 $4"
}

# h_dns_ask NS SERVER NAME TYPE: one query from namespace NS (tests/harness/dnsq.py), printing
# "ADDRESS TTL" per answer record, or the rcode / NODATA. For checking the harness's own servers.
h_dns_ask() {
  h_ns "$1" python3 "$H_HERE/dnsq.py" "$2" "$3" "$4"
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
  h_leak_settle
  if [ "$H_FAILS" -eq 0 ]; then echo "PASS: $H_NAME"; exit 0; fi
  echo "FAILED: $H_NAME ($H_FAILS check(s))"
  exit 1
}

h_require
