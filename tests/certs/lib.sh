# Shared helpers of the certificate tests: the openssl CA of tests/lib/pki.sh, `openssl s_server`
# serving a chosen chain on a free loopback port, and `smv follow` against it. Sourced by run_case.sh;
# the smv binary is $1 (ctest passes it).
SMV_TEST_TAG=certs
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/pki.sh"
pki_init "$WORK/pki"

# serve CERT KEY [CHAIN] [EXTRA s_server ARGS...]: openssl s_server on 127.0.0.1:PORT, echo mode (it
# prints whatever application data arrives, which must be nothing). Sets PORT.
serve() {
  local cert=$1 key=$2 chain=${3:-}
  shift 3 || shift $#
  local args=(-accept "127.0.0.1:0" -cert "$cert" -key "$key")
  [ -n "$chain" ] && args+=(-cert_chain "$chain")
  local i
  for i in 1 2 3 4 5; do
    PORT=$(free_port)
    args[1]="127.0.0.1:$PORT"
    # stdin stays open (and silent) for the server's lifetime: s_server's echo mode reads it and
    # quits at its end. The shell holds the fifo's other end on fd 7.
    [ -p "$WORK/stdin.fifo" ] || { mkfifo "$WORK/stdin.fifo"; exec 7<>"$WORK/stdin.fifo"; }
    openssl s_server "${args[@]}" -msg "$@" <&7 >"$WORK/server.out" 2>"$WORK/server.err" &
    SERVER_PID=$!
    local j
    for j in $(seq 1 50); do
      grep -q ACCEPT "$WORK/server.out" 2>/dev/null && return 0
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
  done
  echo "FAIL: s_server did not start: $(cat "$WORK/server.err")" >&2
  exit 1
}

# follow URL ARGS...: sets RC, CODE (the JSON result's error code) and MS
follow() {
  local url=$1; shift
  timed "$SMV" follow "$url" --carrier lo --json --connect-timeout 5 --max-time 8 "$@"
}

finish() { finish_showing "$WORK/server.out" "$WORK/server.err"; }
