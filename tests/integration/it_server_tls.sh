#!/usr/bin/env bash
# The test server itself (no smv client): HTTPS with TLS 1.2 and 1.3, session resumption across
# connections for both (a ticket from the first connection is accepted on the second), plain HTTP
# on the other listener, an oversized header block refused, and the request log saying all of it.
# Uses openssl s_client and curl when present (skipped otherwise: they are not project tools).
. "$(dirname "$0")/lib.sh"
if ! command -v openssl >/dev/null || ! command -v curl >/dev/null; then echo "skip: no openssl/curl"; exit 0; fi
start_server
PORT=${HTTPS##*:}
req='GET /token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
for v in tls1_2 tls1_3; do
  out1=$(printf "$req" | timeout 10 openssl s_client -$v -connect 127.0.0.1:$PORT -CAfile "$CA" \
         -verify_return_error -sess_out "$WORK/sess.$v" -ign_eof 2>/dev/null)
  out2=$(printf "$req" | timeout 10 openssl s_client -$v -connect 127.0.0.1:$PORT -CAfile "$CA" \
         -verify_return_error -sess_in "$WORK/sess.$v" -ign_eof 2>/dev/null)
  case "$out1" in *"HTTP/1.1 200 OK"*) pass "$v: answered";; *) fail "$v: no 200 on the first connection";; esac
  case "$out1" in *"New, "*) pass "$v: full handshake first";; *) fail "$v: first handshake not new";; esac
  case "$out2" in *"Reused, "*) pass "$v: session resumed";; *) fail "$v: session not resumed";; esac
  case "$out2" in *"7b564f4b-0f92-4af6-b6ee-021f9bc439f6"*) pass "$v: body after resumption";; *) fail "$v: no body after resumption";; esac
done
expect_eq "log: versions" "$(python3 -c "
import json
print(' '.join('%s/%s' % (e['tls'], e['tls_resumed']) for e in map(json.loads, open('$WORK/server.log'))))")" \
  "tls1.2/False tls1.2/True tls1.3/False tls1.3/True"
# plain HTTP on the other listener, keep-alive across two requests on one connection
out=$(curl -s "$HTTP/token" "$HTTP/token" -w '%{num_connects}\n')
case "$out" in *'"returnUrl":null}'*'"returnUrl":null}0'*) pass "http: two answers, one connection";;
  *) fail "http: got '$out'";; esac
# an oversized header block: 431, nothing handed to the routes
big=$(head -c 20000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "$HTTP/token")
expect_eq "oversized header block" "$code" 431
expect_eq "requests logged" "$(log_count)" 6
finish
