# Shared helpers of the certificate tests: a small openssl CA (any validity dates, digests, key
# sizes and extensions), `openssl s_server` serving a chosen chain on a free loopback port, and
# `smv follow` against it. Sourced by run_case.sh; the smv binary is $1 (ctest passes it).
SMV_TEST_TAG=certs
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"

PKI=$WORK/pki
mkdir -p "$PKI/new"
: >"$PKI/index.txt"
echo 1000 >"$PKI/serial"
cat >"$PKI/ca.cnf" <<CNF
[ca]
default_ca = sign
[sign]
database = $PKI/index.txt
new_certs_dir = $PKI/new
serial = $PKI/serial
policy = any
default_md = sha256
default_days = 30
unique_subject = no
email_in_dn = no
[any]
commonName = supplied
CNF

# newkey NAME [KEYSPEC]: KEYSPEC "ec" (P-256, default) or "rsa:BITS"
newkey() {
  case ${2:-ec} in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key" 2>/dev/null;;
    rsa:*) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${2#rsa:}" -out "$PKI/$1.key" 2>/dev/null;;
  esac
}

# root NAME: a self-signed CA
root() {
  newkey "$1"
  openssl req -x509 -new -key "$PKI/$1.key" -out "$PKI/$1.pem" -days 30 -subj "/CN=smv test $1" \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# issue NAME ISSUER EXT [KEYSPEC] [MD] [START END]: a certificate for NAME signed by ISSUER with the
# extensions in the string EXT (openssl extension-file lines, ';'-separated).
issue() {
  local name=$1 issuer=$2 ext=$3 keyspec=${4:-ec} md=${5:-sha256} start=${6:-} end=${7:-}
  newkey "$name" "$keyspec"
  openssl req -new -key "$PKI/$name.key" -out "$PKI/$name.csr" -subj "/CN=$name" 2>/dev/null
  printf '%s\n' "${ext//;/$'\n'}" >"$PKI/$name.ext"
  local dates=()
  if [ -n "$start" ]; then dates=(-startdate "$start" -enddate "$end"); fi
  openssl ca -batch -config "$PKI/ca.cnf" -cert "$PKI/$issuer.pem" -keyfile "$PKI/$issuer.key" \
    -in "$PKI/$name.csr" -out "$PKI/$name.pem" -extfile "$PKI/$name.ext" -md "$md" -notext \
    "${dates[@]}" 2>"$PKI/$name.err" >/dev/null
  [ -s "$PKI/$name.pem" ] || { echo "FAIL: openssl could not issue $name: $(cat "$PKI/$name.err")" >&2; exit 1; }
}

LEAF_EXT="basicConstraints=CA:false;keyUsage=critical,digitalSignature,keyEncipherment;extendedKeyUsage=serverAuth"
CA_EXT="basicConstraints=critical,CA:true;keyUsage=critical,keyCertSign,cRLSign"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

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
