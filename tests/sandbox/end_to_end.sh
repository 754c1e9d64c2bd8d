#!/bin/sh
# End to end with the device client (`smv follow --carrier lo`) and a callback receiver: VALID,
# INVALID (another subscriber's address), header enrichment, operator down (ERROR-1030), a device
# outside the operator's network (ERROR-306), the zero-rated flow, header enrichment through a
# trusted proxy, callback receiver down then back, and a sandbox killed with a callback pending and
# restarted.
. "$(dirname "$0")/lib.sh"
cat >"$WORK/cfg.json" <<'J'
{"operators": [{"name": "alpha", "profile": "ip_port", "public_ipv4": "127.0.0.1"},
               {"name": "beta", "profile": "header_enrichment"}],
 "subscribers": [{"msisdn": "41793026727", "operator": "alpha", "private_ip": "127.0.0.1"},
                 {"msisdn": "41790000002", "operator": "alpha", "private_ip": "127.0.0.2"},
                 {"msisdn": "41780000001", "operator": "beta", "private_ip": "127.0.0.1"}],
 "callbacks": {"backoff_ms": 200, "backoff_max_ms": 400, "max_attempts": 60}}
J
start_sandbox sb --config "$WORK/cfg.json"
start_receiver "$WORK/calls"
CB="http://127.0.0.1:$RPORT/cb?result={result}&token={token}"

# flow MSISDN WANT_RESULT NAME: verify, device follows deviceRedirectUrl, callback result checked
flow() {
  local r json tok dev out
  r=$(verify "{\"phoneNumber\":\"$1\",\"callbackUrl\":\"$CB\",\"consentGranted\":true}"); json=${r#* }
  tok=$(json_get "$json" token); dev=$(json_get "$json" deviceRedirectUrl)
  out=$(timeout 20 "$SMV" follow "$dev" --carrier lo --cacert "$CA" --json 2>"$WORK/follow.err")
  local rc=$?
  checked_result "$out" "$3"
  [ "$rc" = 0 ] && [ "$(json_get "$out" token)" = "$tok" ] || { fail "$3: follow exit $rc: $out $(cat "$WORK/follow.err")"; return; }
  if wait_for "$WORK/calls" "result=$2&token=$tok" 5; then
    ok "$3 -> $2 ($(echo "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["hops"]))') hops)"
  else
    fail "$3: no $2 callback"
  fi
}
flow 41793026727 VALID "IP/port matching"
flow 41790000002 INVALID "another subscriber's address"
flow 41780000001 VALID "header enrichment"

# the zero-rated flow: init, the device opens deviceRedirectUrl, the backend asks for the result
zr_flow() { # MSISDN WANT NAME
  local r tok dev out d
  r=$(curl -s --cacert "$CA" -u "$USER_:$PASS" -H 'Content-Type: application/json' \
    -d "{\"phoneNumber\":\"$1\",\"consentGranted\":true}" "$API/mi/verification/1/zero-rated/init")
  tok=$(json_get "$r" token); dev=$(json_get "$r" deviceRedirectUrl)
  out=$(timeout 20 "$SMV" follow "$dev" --carrier lo --cacert "$CA" --json 2>"$WORK/follow.err")
  [ $? = 0 ] || { fail "$3: follow: $out $(cat "$WORK/follow.err")"; return; }
  d=$(curl -s --cacert "$CA" -u "$USER_:$PASS" -H 'Content-Type: application/json' \
    -d "{\"token\":\"$tok\"}" "$API/mi/verification/1/verify/zero-rated")
  [ "$d" = "{\"result\":\"$2\",\"token\":\"$tok\"}" ] && ok "$3 -> $2" || fail "$3: $d"
}
zr_flow 41793026727 VALID "zero-rated"
zr_flow 41790000002 INVALID "zero-rated, another subscriber's address"

# operator down
cat >"$WORK/down.json" <<'J'
{"faults": {"operator_down": true}}
J
start_sandbox down --config "$WORK/down.json"
flow 41793026727 ERROR-1030 "operator down"

# a device outside its operator's network (a WiFi or VPN leak, seen from the service): ERROR-306
cat >"$WORK/ranges.json" <<'J'
{"operators": [{"name": "gamma", "profile": "ip_port", "ip_ranges": ["100.64.0.0/10"]}],
 "subscribers": [{"msisdn": "41793026727", "operator": "gamma", "private_ip": "127.0.0.1"}]}
J
start_sandbox ranges --config "$WORK/ranges.json"
flow 41793026727 ERROR-306 "device outside the operator's ranges"

# header enrichment through the operator's proxy (trusted_proxies): a transparent forwarder on the
# operator's address adds X-MSISDN and connects from 127.0.0.2, the only trusted peer
start_he_proxy() { # PORT_FILE UPSTREAM_PORT
  python3 - "$2" >"$1" <<'PY' &
import http.client, http.server, sys
up = int(sys.argv[1])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        c = http.client.HTTPConnection("127.0.0.1", up, timeout=5, source_address=("127.0.0.2", 0))
        c.request("GET", self.path, headers={"X-MSISDN": "41780000001", "Host": self.headers["Host"]})
        r = c.getresponse(); body = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("location", "content-type"): self.send_header(k, v)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
  PIDS="$PIDS $!"
  for _ in $(seq 100); do [ -s "$1" ] && break; sleep 0.05; done
}
OPPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_he_proxy "$WORK/proxy.port" "$OPPORT"
PROXY=$(head -1 "$WORK/proxy.port")
for via in proxy direct; do
  host=127.0.0.1:$OPPORT; [ "$via" = proxy ] && host=127.0.0.1:$PROXY
  cat >"$WORK/tp-$via.json" <<J
{"listeners": {"operator_host": "$host"},
 "operators": [{"name": "beta", "profile": "header_enrichment", "trusted_proxies": ["127.0.0.2"]}],
 "subscribers": [{"msisdn": "41780000001", "operator": "beta"}]}
J
  start_sandbox "tp-$via" --operator-port "$OPPORT" --config "$WORK/tp-$via.json" -v
  want=VALID; [ "$via" = direct ] && want=INVALID
  flow 41780000001 $want "trusted proxy: device $via"
  kill "$SBPID"; wait "$SBPID" 2>/dev/null
done
grep -q "not a trusted proxy" "$WORK/tp-direct.err" && ok "direct request logged as not from a trusted proxy" ||
  fail "no log line for the untrusted peer"
# a client that sends the header itself, not through the proxy: ignored, logged
start_sandbox tp-curl --operator-port "$OPPORT" --config "$WORK/tp-direct.json" -v
loc=$(curl -s -o /dev/null -w '%{redirect_url}' -H 'X-MSISDN: 41780000001' \
  "$OP/he/beta/6a31ccca-ceba-4998-a3b0-16ae5e182ab0")
case "$loc" in *"?msisdn=&ts="*) ok "X-MSISDN from an untrusted peer ignored";; *) fail "untrusted X-MSISDN: $loc";; esac
grep -q "X-MSISDN header is ignored" "$WORK/tp-curl.err" && ok "and the -v log says so" || fail "no log: $(cat "$WORK/tp-curl.err")"
kill "$SBPID"; wait "$SBPID" 2>/dev/null

# callback receiver down, then back on the same port: delivered by a retry
FREE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_sandbox retry --config "$WORK/cfg.json"
CB2="http://127.0.0.1:$FREE/cb?result={result}&token={token}"
r=$(verify "{\"phoneNumber\":\"41793026727\",\"callbackUrl\":\"$CB2\",\"consentGranted\":true,\"deviceIp\":\"127.0.0.1\",\"devicePort\":1234}")
tok=$(json_get "${r#* }" token)
sleep 1
start_receiver "$WORK/calls2" "$FREE"
wait_for "$WORK/calls2" "result=VALID&token=$tok" 10 && ok "receiver down then back: delivered" ||
  fail "receiver down then back: not delivered"
kill "$RPID"; wait "$RPID" 2>/dev/null

# killed with a callback pending, restarted with the same state directory: delivered
FREE=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_sandbox k1 --config "$WORK/cfg.json" --state-dir "$WORK/state"
CB3="http://127.0.0.1:$FREE/cb?result={result}&token={token}"
r=$(verify "{\"phoneNumber\":\"41793026727\",\"callbackUrl\":\"$CB3\",\"consentGranted\":true,\"deviceIp\":\"127.0.0.1\",\"devicePort\":1234}")
tok=$(json_get "${r#* }" token)
sleep 0.5
kill -KILL "$SBPID"; wait "$SBPID" 2>/dev/null
grep -q "^P .* $tok VALID " "$WORK/state/callbacks.journal" && ok "journal holds the pending callback" ||
  fail "journal: $(cat "$WORK/state/callbacks.journal")"
start_receiver "$WORK/calls3" "$FREE"
start_sandbox k2 --config "$WORK/cfg.json" --state-dir "$WORK/state"
wait_for "$WORK/calls3" "result=VALID&token=$tok" 10 && ok "killed and restarted: delivered" ||
  fail "killed and restarted: not delivered"
sleep 0.3
kill -TERM "$SBPID"; wait "$SBPID" 2>/dev/null
start_sandbox k3 --config "$WORK/cfg.json" --state-dir "$WORK/state"
sleep 0.5
[ "$(grep -c "token=$tok" "$WORK/calls3")" = 1 ] && ok "delivered exactly once after compaction" ||
  fail "delivered $(grep -c "token=$tok" "$WORK/calls3") times"
finish
