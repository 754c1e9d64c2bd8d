# Shared helpers of the integration tests: start `smv testserver`, wait for its ready line, run
# `smv follow` against it, check the exit status, the JSON result and the server's request log.
# Sourced by each test script; the smv binary is $1 of the script (ctest passes it).
SMV_TEST_TAG=it
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

# JSON queries: jq when present, python3 otherwise. jget FILE FILTER (a jq path like .hops[0].status)
jget() {
  if command -v jq >/dev/null 2>&1; then
    jq -c "$2" "$1" 2>/dev/null
  else
    python3 - "$1" "$2" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
cur = doc
for part in re.findall(r'\.([A-Za-z_][A-Za-z_0-9]*)|\[(\d+)\]|\.?(length)$', sys.argv[2]):
    key, idx, length = part
    if length:
        cur = len(cur)
    elif key:
        cur = cur.get(key) if isinstance(cur, dict) else None
    else:
        cur = cur[int(idx)] if isinstance(cur, list) and int(idx) < len(cur) else None
print(json.dumps(cur, separators=(',', ':')))
PY
  fi
}


# start_server ARGS...: runs `smv testserver ARGS --log $WORK/server.log --dir $WORK/certs`
# and sets HTTPS, HTTP, CA from its ready line.
start_server() {
  mkdir -p "$WORK/certs"
  "$SMV" testserver --log "$WORK/server.log" --dir "$WORK/certs" "$@" >"$WORK/ready" 2>"$WORK/server.err" &
  SERVER_PID=$!
  local i
  for i in $(seq 1 100); do
    if [ -s "$WORK/ready" ] && grep -q '}' "$WORK/ready"; then break; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "FAIL: the test server died:" >&2; cat "$WORK/server.err" >&2; SERVER_PID=; exit 1
    fi
    sleep 0.1
  done
  head -n1 "$WORK/ready" >"$WORK/ready.json"
  HTTPS=$(jget "$WORK/ready.json" .https | tr -d '"')
  HTTP=$(jget "$WORK/ready.json" .http | tr -d '"')
  CA=$(jget "$WORK/ready.json" .ca | tr -d '"')
  if [ -z "$HTTPS" ] || [ "$HTTPS" = null ]; then echo "FAIL: no ready line" >&2; exit 1; fi
}

# follow URL ARGS...: runs smv follow on loopback; sets RC, result JSON in $WORK/result.json
follow() {
  local url=$1; shift
  "$SMV" follow "$url" --cacert "$CA" --carrier lo --json "$@" >"$WORK/result.json" 2>"$WORK/follow.err"
  RC=$?
  if ! jget "$WORK/result.json" . >/dev/null 2>&1 || [ ! -s "$WORK/result.json" ]; then
    fail "follow printed no JSON result (exit $RC); stderr: $(head -c 500 "$WORK/follow.err")"
  fi
  checked "$WORK/result.json" --json "$@"
}

# checked OUT ARGS...: the schema check of tests/lib/schema.sh for a run of smv that printed OUT.
checked() { smv_schema_check_run "$@" || fail "what smv printed or wrote does not match its schema (above)"; }

# r FILTER: a field of the last result, JSON-encoded (strings keep their quotes)
r() { jget "$WORK/result.json" "$1"; }

# The server's request log: one JSON object a line. log_targets prints "listener method target" lines.
log_targets() {
  python3 - "$WORK/server.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    line = line.strip()
    if line:
        e = json.loads(line)
        print(e["listener"], e["method"], e["target"])
PY
}
# log_field N KEY: KEY of the Nth (0-based) logged request, JSON-encoded
log_field() {
  python3 - "$WORK/server.log" "$1" "$2" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
print(json.dumps(json.loads(lines[n]).get(sys.argv[3]) if n < len(lines) else None, separators=(',', ':')))
PY
}
# log_header N NAME: the value of header NAME in the Nth request (or null)
log_header() {
  python3 - "$WORK/server.log" "$1" "$2" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
v = None
if n < len(lines):
    for k, val in json.loads(lines[n])["headers"]:
        if k.lower() == sys.argv[3].lower():
            v = val
            break
print(json.dumps(v))
PY
}
log_count() { if [ -s "$WORK/server.log" ]; then grep -c . "$WORK/server.log"; else echo 0; fi; }

finish() { finish_showing "$WORK/server.log"; }
