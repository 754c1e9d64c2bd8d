#!/usr/bin/env bash
# An OAuth authorization chain (CAMARA Number Verification's shape) through the CLI: the code and the
# state at the redirect_uri go into the result; error= is a service error (exit 9); a missing or
# different state is refused (exit 8, RFC 6749 10.12); a consent page (200 text/html) in the chain
# is SMV_ERR_INTERACTION_REQUIRED (exit 9, final_url the page); -v and the HAR hide code and state
# unless --show-secrets.
. "$(dirname "$0")/lib.sh"
cat >"$WORK/routes.json" <<'JSON'
{"routes": {
  "/authorize?response_type=code&client_id=app&state=s1": {"status": 302, "headers": {"Location": "{http}/he?state=s1"}},
  "/he?state=s1": {"status": 302, "headers": {"Location": "{https}/done"}},
  "/done": {"status": 302, "headers": {"Location": "myapp://cb?code=Splx%2BlOB&state=s1"}},
  "/authorize?response_type=code&client_id=app&state=s2": {"status": 302, "headers": {"Location": "myapp://cb?error=access_denied&error_description=no+subscriber&state=s2"}},
  "/authorize?response_type=code&client_id=app&state=s3": {"status": 302, "headers": {"Location": "{https}/consent"}},
  "/consent": {"status": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": "<form>Allow?</form>"}
}}
JSON
start_server --script "$WORK/routes.json"
A="$HTTPS/authorize?response_type=code&client_id=app"

follow "$A&state=s1" --return-url myapp://cb --state s1 -v --har "$WORK/a.har"
expect_eq "code: exit" "$RC" 0
expect_eq "code: outcome" "$(r .outcome)" '"return_url"'
expect_eq "code: code, decoded once" "$(r .authorization.code)" '"Splx+lOB"'
expect_eq "code: state" "$(r .authorization.state)" '"s1"'
expect_eq "code: error" "$(r .authorization.error)" null
expect_eq "code: final_url" "$(r .final_url)" '"myapp://cb?code=Splx%2BlOB&state=s1"'
if grep -q "Splx" "$WORK/follow.err"; then fail "-v shows the code"; else pass "-v hides the code"; fi
if grep -q "Splx\|state=s1" "$WORK/a.har"; then fail "the HAR shows code or state"; else pass "the HAR hides code and state"; fi
expect_eq "HAR: TLS versions" "$(jget "$WORK/a.har" .log._tls)" '{"min":"1.2","max":"1.3"}'
follow "$A&state=s1" --return-url myapp://cb --state s1 -v --show-secrets --har "$WORK/b.har"
if grep -q "Splx" "$WORK/follow.err"; then pass "--show-secrets: -v shows the code"; else fail "--show-secrets: -v hides the code"; fi
if grep -q "Splx" "$WORK/b.har"; then pass "--show-secrets: the HAR shows the code"; else fail "--show-secrets: the HAR hides the code"; fi

follow "$A&state=s1" --return-url myapp://cb --state other
expect_eq "other state: exit" "$RC" 8
expect_eq "other state: code" "$(r .error.code)" '"SMV_ERR_AUTHORIZATION_STATE"'
expect_eq "other state: no authorization reported" "$(r .authorization)" null

follow "$A&state=s2" --return-url myapp://cb --state s2
expect_eq "error=: exit" "$RC" 9
expect_eq "error=: outcome" "$(r .outcome)" '"service_error"'
expect_eq "error=: code" "$(r .error.code)" '"SMV_ERR_AUTHORIZATION_ERROR"'
expect_eq "error=: error" "$(r .authorization.error)" '"access_denied"'
expect_eq "error=: description" "$(r .authorization.error_description)" '"no subscriber"'
expect_eq "error=: no code" "$(r .authorization.code)" null

follow "$A&state=s3" --return-url myapp://cb
expect_eq "consent page: exit" "$RC" 9
expect_eq "consent page: code" "$(r .error.code)" '"SMV_ERR_INTERACTION_REQUIRED"'
expect_eq "consent page: final_url" "$(r .final_url)" "\"$HTTPS/consent\""
expect_eq "consent page: status" "$(r .http_status)" 200

# the TLS versions: --tls-max 1.2 makes the hop TLS 1.2, --tls-min 1.3 one TLS 1.3
follow "$A&state=s1" --return-url myapp://cb --tls-max 1.2 -v
expect_eq "--tls-max 1.2: hop" "$(r .hops[0].tls)" '"tls1.2"'
if grep -q "TLS 1.2 to 1.2" "$WORK/follow.err"; then pass "-v names the TLS versions"; else fail "-v does not name the TLS versions"; fi
follow "$A&state=s1" --return-url myapp://cb --tls-min 1.3
expect_eq "--tls-min 1.3: hop" "$(r .hops[0].tls)" '"tls1.3"'
"$SMV" follow "$A" --carrier lo --tls-min 1.3 --tls-max 1.2 >/dev/null 2>&1
expect_eq "--tls-min above --tls-max: usage" "$?" 2
"$SMV" follow "$A" --carrier lo --tls-max 1.1 >/dev/null 2>&1
expect_eq "--tls-max 1.1: usage" "$?" 2
finish
