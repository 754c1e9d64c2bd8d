#!/usr/bin/env bash
# The checkers of tests/tree and tests/lib can fail: each is run on a small made-up tree or document
# with one fault of each kind it looks for (and on a clean one, which must pass).
# Usage: checkers.sh SOURCE_DIR SMV
set -u
src=$1
smv=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/smv-checkers.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
expect() { # WANT_RC DESCRIPTION CMD...: CMD must exit WANT_RC
  local want=$1 what=$2 rc
  shift 2
  "$@" >"$work/out" 2>&1
  rc=$?
  if [ "$rc" = "$want" ]; then echo "ok: $what (exit $rc)"; else
    echo "FAIL: $what: exit $rc, want $want"; cat "$work/out"; fails=$((fails + 1)); fi
}

# doc_refs.py: a README citing a missing document, a comment citing a missing source, a link.
mkdir -p "$work/t/docs" "$work/t/src/core" "$work/t/tests"
echo "see docs/there.md and [this](docs/there.md)" >"$work/t/README.md"
echo "# there" >"$work/t/docs/there.md"
printf '/* as in src/core/a.c */\nint x;\n' >"$work/t/src/core/a.c"
expect 0 "doc_refs: every citation exists" python3 "$src/tests/tree/doc_refs.py" "$work/t"
echo "also docs/gone.md" >>"$work/t/README.md"
expect 1 "doc_refs: a missing document" python3 "$src/tests/tree/doc_refs.py" "$work/t"
sed -i '$d' "$work/t/README.md"
printf '/* read src/core/gone.c, and ../shared/seed/NOTES.md */\n' >>"$work/t/src/core/a.c"
expect 1 "doc_refs: a comment citing a missing file" python3 "$src/tests/tree/doc_refs.py" "$work/t"

# layering.py: the core including libuv, io including the CLI, sprintf.
mkdir -p "$work/l/src/core" "$work/l/src/io" "$work/l/src/cli" "$work/l/platform"
printf '#include "smv.h"\n#include <string.h>\n' >"$work/l/src/core/a.c"
printf '#include "core/a.h"\n#include "platform.h"\n' >"$work/l/src/io/b.c"
printf '/* sprintf( in a comment */\n' >"$work/l/src/cli/c.c"
expect 0 "layering: a clean tree" python3 "$src/tests/tree/layering.py" "$work/l"
printf '#include <uv.h>\n' >>"$work/l/src/core/a.c"
expect 1 "layering: the core including uv.h" python3 "$src/tests/tree/layering.py" "$work/l"
sed -i '$d' "$work/l/src/core/a.c"
printf '#include "cli/cli.h"\n' >>"$work/l/src/io/b.c"
expect 1 "layering: io including the CLI" python3 "$src/tests/tree/layering.py" "$work/l"
sed -i '$d' "$work/l/src/io/b.c"
printf 'void f(char *b) { sprintf(b, "x"); }\n' >>"$work/l/src/cli/c.c"
expect 1 "layering: sprintf" python3 "$src/tests/tree/layering.py" "$work/l"

# validate_json.py: results, a ready line and a HAR, each good and broken.
v="python3 $src/tests/lib/validate_json.py"
good='{"outcome":"completed","final_url":"https://a/","http_status":200,"path":{"interface":"lo","class":"loopback","declared":true,"local":"127.0.0.1:5"},"hops":[{"url":"https://a/","status":200,"tls":"tls1.3","reused":false,"remote":"127.0.0.1:443","ms":1.5}],"stats":{"connections":1,"tls_full":1,"tls_resumed":0,"dns_queries":0,"heap_peak_bytes":100,"ms":2}}'
echo "$good" >"$work/good.json"
expect 0 "schema: a good result" $v result "$work/good.json"
echo "$good" | sed 's/"outcome":"completed",//' >"$work/bad1.json"
expect 1 "schema: a result without outcome" $v result "$work/bad1.json"
echo "$good" | sed 's/"tls":"tls1.3"/"tls":"ssl3"/' >"$work/bad2.json"
expect 1 "schema: a hop with an unknown TLS version" $v result "$work/bad2.json"
echo "$good" | sed 's/"outcome":"completed"/"outcome":"error"/' >"$work/bad3.json"
expect 1 "schema: an error outcome without error" $v result "$work/bad3.json"
echo '{"api":"https://127.0.0.1:1","operator":"http://127.0.0.1:2","ca":"/x","user":"u","password":"p"}' >"$work/ready.json"
expect 0 "schema: a good ready line" $v sandbox_ready "$work/ready.json"
echo '{"api":"http://127.0.0.1:1","operator":"http://127.0.0.1:2","ca":"/x","user":"u"}' >"$work/ready-bad.json"
expect 1 "schema: a ready line with a plain-HTTP api and no password" $v sandbox_ready "$work/ready-bad.json"
# A HAR that smv writes, then the same with a timing HAR 1.2 forbids and a field it does not know.
"$smv" testserver --dir "$work/ts" >"$work/ts.ready" 2>/dev/null &
ts=$!
for _ in $(seq 50); do grep -q '}' "$work/ts.ready" 2>/dev/null && break; sleep 0.1; done
https=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["https"])' "$work/ts.ready")
"$smv" follow "$https/chain/start" --carrier lo --cacert "$work/ts/ca.pem" --return-url myapp://verified \
  --har "$work/h.har" --json >"$work/r.json" 2>/dev/null
kill "$ts"; wait "$ts" 2>/dev/null
expect 0 "schema: smv's own result" $v result "$work/r.json"
expect 0 "schema: smv's own HAR" $v har "$work/h.har"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["log"]["entries"][0]["timings"]["wait"]=-1; json.dump(d,open(sys.argv[2],"w"))' "$work/h.har" "$work/h1.har"
expect 1 "schema: a HAR with wait -1" $v har "$work/h1.har"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["log"]["entries"][0]["extra"]=1; json.dump(d,open(sys.argv[2],"w"))' "$work/h.har" "$work/h2.har"
expect 1 "schema: a HAR with a field outside HAR 1.2" $v har "$work/h2.har"

# man_options.py: the page without one option's paragraph.
sed 's/^\.B \\-\\-no\\-resume$/.B \\-\\-no\\-resum/' "$src/docs/smv.1" >"$work/smv.1"
if command -v groff >/dev/null; then
  expect 1 "man page: an option without its paragraph" python3 "$src/tests/tree/man_options.py" "$smv" "$work/smv.1" x
fi
echo "checkers: $fails failure(s)"
[ "$fails" -eq 0 ]
