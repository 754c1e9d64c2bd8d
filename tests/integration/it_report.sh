#!/usr/bin/env bash
# smv report: one request on the carrier path to the app's backend, GET or POST with -d; the
# response body is printed, redirects are not followed, 4xx/5xx exit 9.
. "$(dirname "$0")/lib.sh"
start_server
"$SMV" report "$HTTPS/token" --cacert "$CA" --carrier lo -d '{"phoneNumber":"41793026727"}' >"$WORK/body" 2>"$WORK/err"
expect_eq "report exit" "$?" 0
expect_eq "report body token" "$(jget "$WORK/body" .token)" '"7b564f4b-0f92-4af6-b6ee-021f9bc439f6"'
expect_eq "method" "$(log_field 0 method)" '"POST"'
expect_eq "body sent" "$(log_field 0 body)" '"{\"phoneNumber\":\"41793026727\"}"'
expect_eq "content type" "$(log_header 0 Content-Type)" '"application/json"'
"$SMV" report "$HTTPS/chain/start" --cacert "$CA" --carrier lo --json >"$WORK/result.json" 2>"$WORK/err"
expect_eq "report of a redirect: exit" "$?" 0
checked "$WORK/result.json" --json
expect_eq "report of a redirect: not followed" "$(r '.hops|length')" 1
expect_eq "report of a redirect: status" "$(r .http_status)" 302
"$SMV" report "$HTTPS/invalid-token" --cacert "$CA" --carrier lo >"$WORK/body" 2>"$WORK/err"
expect_eq "report of a 400: exit" "$?" 9
"$SMV" report "$HTTPS/token" --cacert "$CA" --carrier lo -X PUT >"$WORK/body" 2>"$WORK/err"
expect_eq "report -X PUT: usage" "$?" 2
"$SMV" report "$HTTPS/token" --cacert "$CA" --carrier lo -d @/nonexistent >"$WORK/body" 2>"$WORK/err"
expect_eq "report -d @missing: usage" "$?" 2
finish
