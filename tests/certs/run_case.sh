#!/usr/bin/env bash
# One certificate case: run_case.sh SMV CASE. The certificates are made now with openssl, served by
# `openssl s_server` on loopback, and `smv follow --cacert ROOT` must refuse the server with exit 6
# and the case's own SMV_ERR_TLS_* code, before sending any HTTP byte (s_server prints whatever
# application data it receives). The "good" cases are the controls: the same setup, correct, does
# get a request through, so the "no HTTP bytes" check can see one.
. "$(dirname "$0")/lib.sh"
CASE=${2:?usage: run_case.sh SMV CASE}
IPSAN="subjectAltName=IP:127.0.0.1"
HOST=127.0.0.1
WEAK=()       # s_server options for what OpenSSL's own security level would refuse to serve
CHAIN=
root root
case $CASE in
  good)            issue leaf root "$LEAF_EXT;$IPSAN"; WANT=ok;;
  good-chain)      issue inter root "$CA_EXT"; issue leaf inter "$LEAF_EXT;$IPSAN"; CHAIN=$PKI/inter.pem; WANT=ok;;
  expired)         issue leaf root "$LEAF_EXT;$IPSAN" ec sha256 20200101000000Z 20210101000000Z
                   WANT=SMV_ERR_TLS_CERT_EXPIRED;;
  not-yet-valid)   issue leaf root "$LEAF_EXT;$IPSAN" ec sha256 20990101000000Z 21000101000000Z
                   WANT=SMV_ERR_TLS_CERT_FUTURE;;
  self-signed)     newkey leaf
                   openssl req -x509 -new -key "$PKI/leaf.key" -out "$PKI/leaf.pem" -days 30 -subj /CN=127.0.0.1 \
                     -addext "$IPSAN" -addext basicConstraints=CA:false 2>/dev/null
                   WANT=SMV_ERR_TLS_CERT_UNTRUSTED;;
  untrusted-root)  root other; issue leaf other "$LEAF_EXT;$IPSAN"; WANT=SMV_ERR_TLS_CERT_UNTRUSTED;;
  incomplete-chain) issue inter root "$CA_EXT"; issue leaf inter "$LEAF_EXT;$IPSAN"
                   WANT=SMV_ERR_TLS_CERT_UNTRUSTED;;   # the server sends the leaf only
  wrong-host)      issue leaf root "$LEAF_EXT;subjectAltName=DNS:wrong.example"; WANT=SMV_ERR_TLS_CERT_HOSTNAME;;
  wildcard-two-labels) issue leaf root "$LEAF_EXT;subjectAltName=DNS:*.localhost"; HOST=a.b.localhost
                   WANT=SMV_ERR_TLS_CERT_HOSTNAME;;
  wildcard-double) issue leaf root "$LEAF_EXT;subjectAltName=DNS:*.*.localhost"; HOST=a.b.localhost
                   WANT=SMV_ERR_TLS_CERT_HOSTNAME;;
  wildcard-good)   issue leaf root "$LEAF_EXT;subjectAltName=DNS:*.localhost"; HOST=a.localhost; WANT=ok;;
  sha1)            issue leaf root "$LEAF_EXT;$IPSAN" ec sha1; WEAK=(-cipher DEFAULT@SECLEVEL=0)
                   WANT=SMV_ERR_TLS_CERT_WEAK_HASH;;
  rsa1024)         issue leaf root "$LEAF_EXT;$IPSAN" rsa:1024; WEAK=(-cipher DEFAULT@SECLEVEL=0)
                   WANT=SMV_ERR_TLS_CERT_WEAK_KEY;;
  ip-no-san)       issue leaf root "$LEAF_EXT;subjectAltName=DNS:localhost"; WANT=SMV_ERR_TLS_CERT_HOSTNAME;;
  ip-as-dns-san)   issue leaf root "$LEAF_EXT;subjectAltName=DNS:127.0.0.1"
                   WANT=SMV_ERR_TLS_CERT_HOSTNAME;;   # an address only in an iPAddress SAN (RFC 9525 6.3)
  ip-in-cn-only)   issue 127.0.0.1 root "$LEAF_EXT"; cp "$PKI/127.0.0.1.pem" "$PKI/leaf.pem"
                   cp "$PKI/127.0.0.1.key" "$PKI/leaf.key"; WANT=SMV_ERR_TLS_CERT_HOSTNAME;;
  inter-not-ca)    issue inter root "basicConstraints=critical,CA:false;keyUsage=critical,digitalSignature,keyCertSign"
                   issue leaf inter "$LEAF_EXT;$IPSAN"; CHAIN=$PKI/inter.pem; WANT=SMV_ERR_TLS_CERT_NOT_CA;;
  tls1.1)          issue leaf root "$LEAF_EXT;$IPSAN"; WEAK=(-tls1_1 -cipher DEFAULT@SECLEVEL=0)
                   WANT=SMV_ERR_TLS_VERSION;;
  tls1.0)          issue leaf root "$LEAF_EXT;$IPSAN"; WEAK=(-tls1 -cipher DEFAULT@SECLEVEL=0)
                   WANT=SMV_ERR_TLS_VERSION;;
  *) echo "unknown case $CASE" >&2; exit 2;;
esac

serve "$PKI/leaf.pem" "$PKI/leaf.key" "$CHAIN" "${WEAK[@]}"
if [ "$WANT" = ok ]; then
  # s_server's echo mode never answers: the request gets through, then the deadline ends the flow.
  follow "https://$HOST:$PORT/" --cacert "$PKI/root.pem" --max-time 2
  sleep 0.2
  echo "case $CASE: exit $RC, $CODE, ${MS} ms"
  expect_eq "exit status" "$RC" 10
  if grep -aq "GET / HTTP/1.1" "$WORK/server.out"; then pass "the server got the request"
  else fail "the server got no request: the control failed"; fi
else
  follow "https://$HOST:$PORT/" --cacert "$PKI/root.pem"
  sleep 0.2
  echo "case $CASE: exit $RC, $CODE, ${MS} ms"
  expect_eq "exit status" "$RC" 6
  expect_eq "error code" "$CODE" "$WANT"
  if grep -aq "HTTP/1" "$WORK/server.out"; then fail "the server received HTTP bytes"
  else pass "no HTTP bytes reached the server"; fi
  grep -aq "ClientHello" "$WORK/server.out" || fail "the server saw no ClientHello (did the client connect?)"
fi
finish
