#!/bin/sh
# The sandbox under abuse: thousands of concurrent connections (bounded by limits.max_connections),
# slow clients, a header flood, oversized and malformed bodies. Each gets the right answer or is cut
# off, the process stays up, its open descriptors come back down, and a valid request still works.
. "$(dirname "$0")/lib.sh"
cat >"$WORK/cfg.json" <<'JSON'
{"limits": {"max_connections": 512}}
JSON
start_sandbox sb --config "$WORK/cfg.json"
fds() { ls /proc/$SBPID/fd | wc -l; }
FD0=$(fds)
HOSTPORT=${API#https://}
python3 - "$HOSTPORT" >"$WORK/abuse.out" 2>&1 <<'PY'
import resource, socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
port = int(port)
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 3100 and (hard == resource.RLIM_INFINITY or hard >= 3100):
    resource.setrlimit(resource.RLIMIT_NOFILE, (3100, hard))
# 1) 3000 connections at once (TCP only): the server must stay up; those above its limit are closed.
socks = []
for _ in range(3000):
    try:
        s = socket.create_connection((host, port), timeout=5)
        socks.append(s)
    except OSError as e:
        print("connect failed:", e); break
print("opened", len(socks))
closed = 0
for s in socks:
    s.settimeout(0.05)
    try:
        if s.recv(1) == b"":
            closed += 1
    except socket.timeout:
        pass
    except OSError:
        closed += 1
print("closed by server", closed)
for s in socks: s.close()
# 2) a client sending its TLS handshake one byte a second is cut off by the request timeout
s = socket.create_connection((host, port))
t0 = time.time()
cut = False
hello = b"\x16\x03\x01\x00\xff" + b"\x01" * 40
for b in hello:
    try:
        s.send(bytes([b]))
        time.sleep(1)
        s.settimeout(0.01)
        if s.recv(1) == b"":
            cut = True; break
    except socket.timeout:
        pass
    except OSError:
        cut = True; break
    if time.time() - t0 > 20: break
print("slow client cut", cut, "after", int(time.time() - t0), "s")
PY
grep -q "opened 3000" "$WORK/abuse.out" && ok "3000 connections opened" || fail "3000 connections: $(cat "$WORK/abuse.out")"
n=$(sed -n 's/closed by server //p' "$WORK/abuse.out")
[ "${n:-0}" -ge 2400 ] && ok "connections above the limit closed ($n)" || fail "too few closed: ${n:-?}"
grep -q "slow client cut True" "$WORK/abuse.out" && ok "slow client cut off" || fail "slow client not cut off: $(cat "$WORK/abuse.out")"
kill -0 "$SBPID" 2>/dev/null && ok "sandbox alive" || fail "sandbox died"
# header flood, oversized body, malformed JSON, wrong types
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA" -u "$USER_:$PASS" $(for i in $(seq 300); do printf -- '-H X-%s:%0200d ' "$i" 0; done) "$API/mi/verification/1/verify")
[ "$code" = 431 ] && ok "header flood 431" || fail "header flood: $code"
big=$(python3 -c 'print("{\"phoneNumber\":\"" + "1"*70000 + "\"}")')
out=$(verify "$big"); [ "${out%% *}" = 413 ] && ok "oversized body 413" || fail "oversized body: ${out%% *}"
out=$(verify '{"phoneNumber": '); [ "${out%% *}" = 400 ] && ok "malformed JSON 400" || fail "malformed JSON: $out"
out=$(verify '{"phoneNumber": 41793026727, "callbackUrl": "https://a.example/?r={result}&t={token}", "consentGranted": true}')
case "$out" in "422 "*'"id":400'*) ok "wrong type 422 (id 400)";; *) fail "wrong type: $out";; esac
out=$(verify '{"phoneNumber": "41793026727", "callbackUrl": "https://a.example/?r={result}&t={token}", "consentGranted": true}')
case "$out" in "200 "*REDIRECT*) ok "valid request still served";; *) fail "valid request: $out";; esac
sleep 1
FD1=$(fds)
[ "$FD1" -le $((FD0 + 4)) ] && ok "descriptors back ($FD0 -> $FD1)" || fail "descriptors leaked: $FD0 -> $FD1"
finish
