#!/usr/bin/env python3
"""The layers of the library and what each may include, and the C functions src/ does not use.

usage: layering.py SOURCE_DIR

Layers, lowest first (a file may include its own layer and lower ones, never a higher one):
  include/smv.h  <  src/core, platform/  <  src/io  <  src/server  <  src/sandbox  <  src/cli
src/core is the sans-I/O core: besides smv.h and its own headers it includes only the C library,
http-parser and cJSON; never platform/ (its sibling), libuv (uv.h), mbedTLS or PSA (mbedtls/, psa/)
or c-ares (ares.h).
No file of src/ or platform/ calls sprintf, strcpy or atoi (unbounded writes, no error reporting:
snprintf, a bounded copy and strtol/strtoul instead); comments and strings do not count.
Exit 1 with one line per violation (file:line: what), 0 otherwise.
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
RANK = {"include": 0, "core": 1, "platform": 1, "io": 2, "server": 3, "sandbox": 4, "cli": 5}
PLATFORM_HEADERS = set()
CORE_FORBIDDEN = re.compile(r"^(uv\.h|uv/|mbedtls/|psa/|ares\.h|ares_)")
BANNED = re.compile(r"(?<![\w.>])(sprintf|strcpy|atoi)\s*\(")


def layer_of_file(rel):
    parts = rel.split("/")
    if parts[0] == "platform":
        return "platform"
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    return None


def layer_of_include(name, quoted):
    if name == "smv.h":
        return "include"
    first = name.split("/")[0]
    if quoted and first in ("core", "io", "server", "sandbox", "cli"):
        return first
    if quoted and os.path.basename(name) in PLATFORM_HEADERS:
        return "platform"
    return None


def strip(text):
    """C text with comments, strings and character constants blanked (newlines kept)."""
    def blank(m):
        s = m.group(0)
        if s.startswith("#"):
            return s  # an #include's "file" is what this checks
        return re.sub(r"[^\n]", " ", s)
    return re.sub(r"/\*.*?\*/|//[^\n]*|^\s*#\s*include[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'",
                  blank, text, flags=re.S | re.M)


def main():
    sources = []
    for top in ("src", "platform"):
        for d, _, fs in os.walk(os.path.join(ROOT, top)):
            for f in fs:
                if f.endswith((".c", ".h")):
                    sources.append(os.path.relpath(os.path.join(d, f), ROOT))
    for rel in sources:
        if rel.startswith("platform/") and rel.endswith(".h"):
            PLATFORM_HEADERS.add(os.path.basename(rel))
    bad = []
    for rel in sorted(sources):
        layer = layer_of_file(rel)
        if layer not in RANK:
            continue
        text = open(os.path.join(ROOT, rel), encoding="utf-8", errors="replace").read()
        code = strip(text)
        for m in re.finditer(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', code, re.M):
            line = code.count("\n", 0, m.start()) + 1
            name, quoted = m.group(2), m.group(1) == '"'
            inc = layer_of_include(name, quoted)
            if inc and RANK[inc] > RANK[layer]:
                bad.append("%s:%d: %s (layer %s) includes %s of the higher layer %s" %
                           (rel, line, rel, layer, name, inc))
            if layer == "core" and (inc == "platform" or CORE_FORBIDDEN.match(name)):
                bad.append("%s:%d: the sans-I/O core includes %s" % (rel, line, name))
        for m in BANNED.finditer(code):
            bad.append("%s:%d: calls %s" % (rel, code.count("\n", 0, m.start()) + 1, m.group(1)))
    for b in bad:
        print("layering: " + b)
    print("layering: %d files of src/ and platform/ read, %d violation(s)" % (len(sources), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
