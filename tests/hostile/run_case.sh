#!/usr/bin/env bash
# One hostile-server case: run_case.sh SMV CASE. The server misbehaves as CASE says; smv follow must
# end with the documented exit status and error code, within its deadline, without crashing.
# VALGRIND=1 runs smv under valgrind (leaks and memory errors exit 99); the time bound then grows.
. "$(dirname "$0")/lib.sh"
CASE=${2:?usage: run_case.sh SMV CASE}
if [ -n "${VALGRIND:-}" ]; then
  WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
  SLACK=15000
else
  SLACK=0
fi

# CASE -> path on the server, extra arguments, exit status, error codes accepted, time bound (ms).
# Where two codes are listed the client may legitimately report either (documented in README).
PLAIN=
case $CASE in
  slow-headers)     P=/slow-headers;    ARGS="--max-time 3"; X=10; C="SMV_ERR_TIMEOUT"; MIN=2700; MAX=4500;;
  endless-headers)  P=/endless-headers; ARGS="";  X=7;  C="SMV_ERR_HTTP_HEADER_TOO_LARGE";;
  endless-body)     P=/endless-body;    ARGS="";  X=7;  C="SMV_ERR_HTTP_BODY_TOO_LARGE";;
  endless-chunked)  P=/endless-chunked; ARGS="";  X=7;  C="SMV_ERR_HTTP_BODY_TOO_LARGE";;
  storm-1xx)        P=/storm-1xx;       ARGS="";  X=7;  C="SMV_ERR_HTTP_TOO_MANY_1XX";;
  storm-103)        P=/storm-103;       ARGS="";  X=7;  C="SMV_ERR_HTTP_TOO_MANY_1XX";;
  loc-cr)           P=/loc-cr;          ARGS="";  X=7;  C="SMV_ERR_HTTP_HEADER_VALUE SMV_ERR_HTTP_MALFORMED";;
  loc-lf)           P=/loc-lf;          ARGS="";  X=7;  C="SMV_ERR_HTTP_MALFORMED SMV_ERR_HTTP_HEADER_VALUE";;
  loc-nul)          P=/loc-nul;         ARGS="";  X=7;  C="SMV_ERR_HTTP_HEADER_VALUE SMV_ERR_HTTP_MALFORMED";;
  loc-tab)          P=/loc-tab;         ARGS="";  X=8;  C="SMV_ERR_LOCATION_BAD";;
  loc-two)          P=/loc-two;         ARGS="";  X=8;  C="SMV_ERR_LOCATION_MULTIPLE";;
  cl-conflict)      P=/cl-conflict;     ARGS="";  X=7;  C="SMV_ERR_HTTP_CONTENT_LENGTH";;
  cl-te)            P=/cl-te;           ARGS="";  X=7;  C="SMV_ERR_HTTP_TRANSFER_ENCODING SMV_ERR_HTTP_CONTENT_LENGTH";;
  chunk-overflow)   P=/chunk-overflow;  ARGS="";  X=7;  C="SMV_ERR_HTTP_CHUNK";;
  to-file)          P=/to-file;         ARGS="";  X=8;  C="SMV_ERR_REDIRECT_SCHEME";;
  to-ftp)           P=/to-ftp;          ARGS="";  X=8;  C="SMV_ERR_REDIRECT_SCHEME";;
  to-data)          P=/to-data;         ARGS="";  X=8;  C="SMV_ERR_REDIRECT_SCHEME";;
  to-data-html)     P=/to-data-html;    ARGS="";  X=8;  C="SMV_ERR_LOCATION_BAD";;
  to-javascript)    P=/to-javascript;   ARGS="";  X=8;  C="SMV_ERR_REDIRECT_SCHEME";;
  loop)             P=/loop-a;          ARGS="";  X=8;  C="SMV_ERR_REDIRECT_LOOP";;
  reset-mid)        P=/reset-mid;       ARGS="";  X=5;  C="SMV_ERR_CONN_RESET";;
  reset-mid-http)   P=/reset-mid;       ARGS="";  X=5;  C="SMV_ERR_CONN_RESET"; PLAIN=1;;
  eof-mid)          P=/eof-mid;         ARGS="";  X=7;  C="SMV_ERR_HTTP_EOF";;
  alert-mid)        P=/alert-mid;       ARGS="";  X=6;  C="SMV_ERR_TLS_ALERT";;
  *) echo "unknown case $CASE" >&2; exit 2;;
esac
MIN=${MIN:-0}; MAX=${MAX:-5000}; MAX=$((MAX + SLACK))

make_certs
start_server
if [ -n "$PLAIN" ]; then
  # The first hop must be https: it redirects to the plain listener of a second server.
  HTTPS_BASE=$BASE; HTTPS_PID=$SERVER_PID
  start_server --plain
  PLAIN_PID=$SERVER_PID; SERVER_PID=$HTTPS_PID
  trap 'kill $PLAIN_PID 2>/dev/null; cleanup' EXIT
  # server.py has no generic redirect route; use smv testserver for the https hop.
  mkdir -p "$WORK/ts"
  printf '{"routes":{"/go":{"status":302,"headers":{"Location":"%s%s"}}}}' "$BASE" "$P" >"$WORK/ts/routes.json"
  "$SMV" testserver --script "$WORK/ts/routes.json" --dir "$WORK/ts" >"$WORK/ts/ready" 2>/dev/null &
  TS_PID=$!
  trap 'kill $PLAIN_PID $TS_PID 2>/dev/null; cleanup' EXIT
  for _ in $(seq 1 100); do grep -q '}' "$WORK/ts/ready" 2>/dev/null && break; sleep 0.05; done
  URL=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["https"])' "$WORK/ts/ready")/go
  CA=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["ca"])' "$WORK/ts/ready")
else
  URL=$BASE$P
fi

# shellcheck disable=SC2086
follow "$URL" $ARGS
echo "case $CASE: exit $RC, $CODE, ${MS} ms"
expect_eq "exit status" "$RC" "$X"
case " $C " in
  *" $CODE "*) pass "error code $CODE";;
  *) fail "error code $CODE, want one of: $C";;
esac
if [ "$MS" -ge "$MIN" ] && [ "$MS" -le "$MAX" ]; then pass "ended after $MS ms"
else fail "ended after $MS ms, want $MIN..$MAX"; fi
grep -q "^$P\$" "$WORK/server.log" 2>/dev/null || fail "the server never got $P"
finish
