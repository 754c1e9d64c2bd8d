#!/usr/bin/env bash
# Redirects to ftp: and javascript: end the flow with a policy error (exit 8), nothing fetched
# beyond the redirect; a plain-HTTP first URL is refused (usage, exit 2) without any request;
# https -> http with --no-http is a forbidden downgrade.
. "$(dirname "$0")/lib.sh"
start_server
follow "$HTTPS/scheme/ftp" --return-url myapp://verified
expect_eq "ftp: exit status" "$RC" 8
expect_eq "ftp: error code" "$(r .error.code)" '"SMV_ERR_REDIRECT_SCHEME"'
follow "$HTTPS/scheme/javascript" --return-url myapp://verified
expect_eq "javascript: exit status" "$RC" 8
expect_eq "javascript: error code" "$(r .error.code)" '"SMV_ERR_REDIRECT_SCHEME"'
expect_eq "server saw" "$(log_targets | tr '\n' '|')" "https GET /scheme/ftp|https GET /scheme/javascript|"
follow "$HTTPS/downgrade" --no-http
expect_eq "--no-http downgrade: exit status" "$RC" 8
expect_eq "--no-http downgrade: error code" "$(r .error.code)" '"SMV_ERR_REDIRECT_DOWNGRADE"'
follow "$HTTPS/downgrade"
expect_eq "downgrade allowed by default: exit status" "$RC" 0
"$SMV" follow "$HTTP/token" --cacert "$CA" --carrier lo --json >"$WORK/result.json" 2>/dev/null
expect_eq "plain-HTTP first hop: exit status" "$?" 2
checked "$WORK/result.json" --json
expect_eq "plain first hop sent nothing" "$(log_targets | grep -c '^http ')" 1
finish
