# Shared helpers of the sandbox tests: start `smv sandbox --port 0`, read its ready line, and clean
# up whatever the test started, pass or fail. Sourced by each test; SMV is the smv binary.
set -u
: "${SMV:?SMV must name the smv binary}"
SMV_TEST_LIB_DIR="$(dirname "$0")/../lib"
. "$SMV_TEST_LIB_DIR/schema.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/smv-sbtest.XXXXXX")
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  for p in $PIDS; do wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
# checked_result JSON_TEXT WHAT: the schema check of an `smv follow --json` result held in a variable.
checked_result() {
  printf '%s\n' "$1" >"$WORK/checked.json"
  [ -s "$WORK/checked.json" ] || return 0
  smv_schema_check result "$WORK/checked.json" || fail "$2: the --json result does not match its schema (above)"
}

# json_get JSON a.b.0: the value at that path ("null" when absent or null; objects and arrays as
# JSON). jq, not python: a test calls it dozens of times and python's start-up dominated them.
json_get() {
  printf '%s' "$1" | jq -r --arg p "$2" \
    'getpath($p | split(".") | map(if test("^[0-9]+$") then tonumber else . end)) |
     if . == null then "null" elif type == "object" or type == "array" then tojson else tostring end' \
    2>/dev/null
}

# start_sandbox NAME [args...]: sets API OP CA USER PASS SBPID
start_sandbox() {
  local name=$1; shift
  "$SMV" sandbox --port 0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  SBPID=$!
  PIDS="$PIDS $SBPID"
  for _ in $(seq 100); do
    [ -s "$WORK/$name.out" ] && break
    sleep 0.05
  done
  local line; line=$(head -1 "$WORK/$name.out")
  [ -n "$line" ] || { echo "sandbox did not start:"; cat "$WORK/$name.err"; exit 1; }
  printf '%s\n' "$line" >"$WORK/$name.ready.json"
  smv_schema_check sandbox_ready "$WORK/$name.ready.json" || fail "$name: the ready line does not match its schema (above)"
  API=$(json_get "$line" api); OP=$(json_get "$line" operator); CA=$(json_get "$line" ca)
  USER_=$(json_get "$line" user); PASS=$(json_get "$line" password)
}

# A plain-HTTP callback receiver on a free port that appends each request line to a file.
# start_receiver FILE [PORT]: sets RPORT RPID
start_receiver() {
  local file=$1 port=${2:-0}
  python3 - "$file" "$port" >"$WORK/recv.port" <<'PY' &
import http.server, sys, socketserver
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(out, "a") as f: f.write(self.path + "\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
socketserver.TCPServer.allow_reuse_address = True
s = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
  RPID=$!
  PIDS="$PIDS $RPID"
  for _ in $(seq 100); do [ -s "$WORK/recv.port" ] && break; sleep 0.05; done
  RPORT=$(head -1 "$WORK/recv.port")
}

# verify BODY [curl args...]: prints "STATUS BODY"
verify() {
  local body=$1; shift
  curl -s --cacert "$CA" -o "$WORK/resp" -w '%{http_code}' -u "$USER_:$PASS" \
    -H 'Content-Type: application/json' "$@" --data-binary "$body" "$API/mi/verification/1/verify"
  printf ' '
  cat "$WORK/resp"
}

# wait_for FILE PATTERN SECONDS
wait_for() {
  for _ in $(seq $(($3 * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

finish() {
  if [ "$FAILS" -ne 0 ]; then echo "$FAILS failure(s)"; exit 1; fi
  echo "all passed"
}
