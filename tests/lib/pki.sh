# A small openssl CA for the shell tests (tests/certs, tests/interop): any validity dates, digests, key
# types and sizes, and extensions. Source it, then `pki_init DIR` before the first certificate; every
# file is DIR/NAME.{key,pem}.

# pki_init DIR: an empty CA database in DIR (sets PKI)
pki_init() {
  PKI=$1
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
}

# newkey NAME [KEYSPEC]: KEYSPEC "ec" (P-256, default), "ec:CURVE" (P-384...) or "rsa:BITS"
newkey() {
  case ${2:-ec} in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$1.key" 2>/dev/null;;
    ec:*) openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${2#ec:}" -out "$PKI/$1.key" 2>/dev/null;;
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
