#!/usr/bin/env bash
# A 400 with the seed's EC_INVALID_TOKEN JSON: service error, exit 9, the error object reported.
. "$(dirname "$0")/lib.sh"
start_server
follow "$HTTPS/invalid-token" --return-url myapp://verified
expect_eq "exit status" "$RC" 9
expect_eq outcome "$(r .outcome)" '"service_error"'
expect_eq http_status "$(r .http_status)" 400
expect_eq "error id" "$(r .service_error.id)" 201
expect_eq "error name" "$(r .service_error.name)" '"EC_INVALID_TOKEN"'
expect_eq "error description" "$(r .service_error.description)" '"Token is invalid or does not exist"'
expect_eq "requests received" "$(log_count)" 1
finish
