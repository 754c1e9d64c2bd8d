#!/bin/sh
# Runs fuzz_url_curl once over inputs made at test time from the external URL suites in SMV_TESTDATA:
# every case of the WPT http(s) subset ("base\ninput", or the input alone when it has no base) and every
# lib1560 redirect case with an http(s) base ("base\nlocation"). The files stay as they came; only the
# inputs are cut from them. Any difference between smv and libcurl that no rule explains fails it.
# Usage: url_suites_replay.sh <fuzz_url_curl binary> <testdata dir>
set -eu
bin=$1
data=$2
command -v python3 >/dev/null || { echo "python3 is missing (toolchains/install-build-deps.sh installs it)"; exit 77; }
for f in wpt-urltestdata-http-subset.json curl-lib1560-redirect-cases.json; do
  [ -r "$data/$f" ] || { echo "missing $data/$f: the external suites must be there" >&2; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/smv-url-suites.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM
python3 - "$data" "$dir" <<'PY'
import json, os, sys
data, out = sys.argv[1], sys.argv[2]
def http(s):
    return s is not None and s.lower().startswith(("http:", "https:"))
n = 0
def put(base, ref):
    global n
    text = (base + "\n" + ref) if base is not None else ref
    with open(os.path.join(out, "case%04d" % n), "wb") as f:
        f.write(text.encode("utf-8", "surrogatepass"))
    n += 1
for c in json.load(open(os.path.join(data, "wpt-urltestdata-http-subset.json"), encoding="utf-8")):
    if isinstance(c, dict) and "input" in c and (c.get("base") is None or http(c.get("base"))):
        put(c.get("base"), c["input"])
for c in json.load(open(os.path.join(data, "curl-lib1560-redirect-cases.json"), encoding="utf-8"))["cases"]:
    if http(c["base"]):
        put(c["base"], c["location"])
print("url_suites_replay: %d inputs" % n)
PY
SMV_FUZZ_URL_STATS=1 "$bin" -runs=0 "$dir"
