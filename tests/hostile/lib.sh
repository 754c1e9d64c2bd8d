# Shared helpers of the hostile-server tests: a throwaway CA and server certificate (openssl), the
# misbehaving server (server.py) on loopback, and `smv follow` against it with its time measured.
# Sourced by run_case.sh; the smv binary is $1 (ctest passes it).

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SMV_TEST_TAG=hostile
. "$HERE/../lib/common.sh"

# A CA and a leaf for 127.0.0.1 (EC P-256: quick to make, and mbedTLS's default profile accepts it).
make_certs() {
  local d=$WORK/pki
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" \
    -out "$d/ca.pem" -days 2 -subj "/CN=smv hostile CA" \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/leaf.key" \
    -out "$d/leaf.csr" -subj "/CN=127.0.0.1" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:false\nextendedKeyUsage=serverAuth\n' >"$d/leaf.ext"
  openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -out "$d/leaf.pem" -days 2 -extfile "$d/leaf.ext" 2>/dev/null
  CA=$d/ca.pem
  [ -s "$d/leaf.pem" ] || { echo "FAIL: openssl could not make the certificates" >&2; exit 1; }
}

# start_server [--plain]: sets BASE (https://127.0.0.1:P, or http:// with --plain)
start_server() {
  local args=(--log "$WORK/server.log") scheme=https
  if [ "${1:-}" = --plain ]; then scheme=http; else args+=(--cert "$WORK/pki/leaf.pem" --key "$WORK/pki/leaf.key"); fi
  rm -f "$WORK/ready"
  python3 "$HERE/server.py" "${args[@]}" >"$WORK/ready" 2>"$WORK/server.err" &
  SERVER_PID=$!
  local i
  for i in $(seq 1 100); do
    grep -q port "$WORK/ready" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "FAIL: server died: $(cat "$WORK/server.err")" >&2; exit 1; }
    sleep 0.05
  done
  BASE=$scheme://127.0.0.1:$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$WORK/ready")
}

# follow URL ARGS...: sets RC, MS (wall time) and CODE (the error code of the JSON result)
follow() {
  local url=$1; shift
  timed ${WRAP:-} "$SMV" follow "$url" --cacert "$CA" --carrier lo --json "$@"
}

finish() { finish_showing "$WORK/server.log"; }
