#!/usr/bin/env bash
# --har writes a HAR 1.2 log of the chain (one entry per hop, with the redirect targets and timings);
# -v traces every phase on stderr without the token or query values unless --show-secrets.
. "$(dirname "$0")/lib.sh"
start_server
follow "$HTTPS/chain/start" --return-url myapp://verified --har "$WORK/chain.har" -v
expect_eq "exit status" "$RC" 0
expect_eq "har version" "$(jget "$WORK/chain.har" .log.version)" '"1.2"'
expect_eq "har creator" "$(jget "$WORK/chain.har" .log.creator.name)" '"smv"'
expect_eq "har entries" "$(jget "$WORK/chain.har" '.log.entries|length')" 3
expect_eq "har entry 0 status" "$(jget "$WORK/chain.har" .log.entries[0].response.status)" 302
expect_eq "har entry 0 redirect" "$(jget "$WORK/chain.har" .log.entries[0].response.redirectURL | cut -c1-8)" '"http://'
expect_eq "har entry 1 url" "$(jget "$WORK/chain.har" .log.entries[1].request.url | cut -c1-8)" '"http://'
expect_eq "har entry 2 timings" "$(jget "$WORK/chain.har" '.log.entries[2].timings|has("wait")')" true
expect_eq "har server ip" "$(jget "$WORK/chain.har" .log.entries[0].serverIPAddress)" '"127.0.0.1"'
for ph in path connect tls request response done; do
  if grep -q " $ph " "$WORK/follow.err"; then pass "trace has $ph"; else fail "trace lacks $ph"; fi
done
if grep -q "step=1" "$WORK/follow.err"; then fail "trace shows a query value"; else pass "trace redacts query values"; fi
# the token (a UUID) of a final body never reaches the trace
follow "$HTTPS/token" -v
if grep -q "7b564f4b" "$WORK/follow.err"; then fail "trace shows the token"; else pass "trace hides the token"; fi
follow "$HTTPS/chain/start" --return-url myapp://verified -v --show-secrets
if grep -q "step=1" "$WORK/follow.err"; then pass "--show-secrets shows query values"; else fail "--show-secrets hides query values"; fi
finish
