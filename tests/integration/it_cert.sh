#!/usr/bin/env bash
# An expired certificate and a certificate for another host: TLS error (exit 6) with the precise
# code; the server receives no request. An untrusted CA (no --cacert) fails the same way.
. "$(dirname "$0")/lib.sh"
start_server --cert expired
follow "$HTTPS/token"
expect_eq "expired: exit status" "$RC" 6
expect_eq "expired: error code" "$(r .error.code)" '"SMV_ERR_TLS_CERT_EXPIRED"'
expect_eq "expired: requests received" "$(log_count)" 0
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
start_server --cert wrong-host
follow "$HTTPS/token"
expect_eq "wrong host: exit status" "$RC" 6
expect_eq "wrong host: error code" "$(r .error.code)" '"SMV_ERR_TLS_CERT_HOSTNAME"'
expect_eq "wrong host: requests received" "$(log_count)" 0
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
start_server
"$SMV" follow "$HTTPS/token" --cacert /etc/ssl/certs/ca-certificates.crt --carrier lo --json \
  >"$WORK/result.json" 2>"$WORK/follow.err"
expect_eq "untrusted CA: exit status" "$?" 6
checked "$WORK/result.json" --json
expect_eq "untrusted CA: error code" "$(r .error.code)" '"SMV_ERR_TLS_CERT_UNTRUSTED"'
finish
