#!/bin/sh
# End to end with the device client (`smv follow --carrier lo`) and a callback receiver: VALID,
# INVALID (another subscriber's address), header enrichment, operator down (ERROR-1030), callback
# receiver down then back, and a sandbox killed with a callback pending and restarted.
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

# operator down
cat >"$WORK/down.json" <<'J'
{"faults": {"operator_down": true}}
J
start_sandbox down --config "$WORK/down.json"
flow 41793026727 ERROR-1030 "operator down"

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
