#!/usr/bin/env python3
"""No document and no comment of the repository cites a file that is not in it.

usage: doc_refs.py SOURCE_DIR

What is read: every Markdown file, every file under docs/, and the comments of the code (C: /* */ and
//; shell, Python, CMake: #; roff: .\\"). What counts as a citation:
- a path that starts with one of the repository's top-level directories (src/, tests/, docs/, ...):
  it must exist (a trailing / names a directory; *, ?, [..] must match something). A component that
  is a placeholder (<name>, {x}, $VAR, an all-capitals word such as ARCH or NAME) ends the check: what
  comes before it must exist;
- a Markdown link target that is not a URL, relative to the file that has it;
- a Markdown file named by a relative path or a bare name (seed/API-NOTES.md, DESIGN.md): it must be
  in the repository (at that path, or some file of that name);
- a path going up out of the directory (../x): it must stay in the repository and exist; the one
  exception is the external test suites' directory ../shared/testdata (SMV_TESTDATA).
Absolute paths (/etc/..., /usr/...) and build trees (build/...) are not the repository's files.
Exit 1 with one line per missing file (file:line: reference), 0 otherwise.
"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
TOPS = ["src", "tests", "docs", "cmake", "include", "platform", "toolchains", ".ci"]
TOP_FILES = ["README.md", "CMakeLists.txt", "CMakePresets.json", ".gitignore"]
CODE_EXT = {".c": "c", ".h": "c", ".sh": "hash", ".py": "hash", ".cmake": "hash", ".in": "hash",
            ".bash": "hash", ".java": "c", ".1": "roff"}
COMP = r"[A-Za-z0-9_.*?<>{}$+@-]"
PATH_RE = re.compile(r"(?<![\w./$-])((?:%s)/(?:%s*/?)*)" % ("|".join(re.escape(t) for t in TOPS), COMP))
MDLINK_RE = re.compile(r"\]\(([^)\s]+)\)")
MD_RE = re.compile(r"(?<![\w./-])((?:[\w.-]+/)*[\w-]+\.md)\b")
UP_RE = re.compile(r"(?<![\w./-])(\.\./[\w.*<>{}$/-]+)")
# The one place outside the tree that the project names on purpose: the external test suites that
# ctest reads (SMV_TESTDATA, docs/testing.md), which are data beside the repository, not its documents.
EXTERNAL_OK = ("../shared/testdata",)


def files():
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "--cached", "--others", "--exclude-standard"],
                             check=True, capture_output=True, text=True).stdout.split("\n")
        return [f for f in out if f and os.path.exists(os.path.join(ROOT, f))]
    except (OSError, subprocess.CalledProcessError):
        found = []
        for d, dirs, fs in os.walk(ROOT):
            dirs[:] = [x for x in dirs if x != ".git" and not x.startswith("build")]
            found += [os.path.relpath(os.path.join(d, f), ROOT) for f in fs]
        return found


def comments(text, kind):
    """(line number, comment text) pairs."""
    out = []
    if kind == "c":
        for m in re.finditer(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", text, re.S):
            s = m.group(0)
            if s.startswith("/"):
                out.append((text.count("\n", 0, m.start()) + 1, s))
    elif kind == "roff":
        for i, line in enumerate(text.split("\n"), 1):
            if line.startswith('.\\"'):
                out.append((i, line))
    else:
        for i, line in enumerate(text.split("\n"), 1):
            m = re.search(r"(^|\s)#(?![!{])(.*)$", line)
            if m:
                out.append((i, m.group(2)))
    return out


def placeholder(component):
    return bool(re.search(r"[<>{}$]", component)) or bool(re.fullmatch(r"[A-Z][A-Z0-9_]*", component))


def exists(path):
    """Does the repository have what path names (up to its first placeholder component)?"""
    path = path.rstrip(".,:;)'\"`")
    parts = [p for p in path.split("/")]
    want_dir = path.endswith("/")
    kept = []
    for p in parts:
        if p == "":
            continue
        if placeholder(p) or p in ("...", ".."):
            want_dir = True
            break
        kept.append(p)
    if not kept:
        return True
    full = os.path.join(ROOT, *kept)
    if any(c in full for c in "*?["):
        return bool(glob.glob(full))
    return os.path.isdir(full) if want_dir else os.path.exists(full)


def main():
    names = files()
    basenames = {os.path.basename(f) for f in names}
    bad = []
    for rel in sorted(names):
        ext = os.path.splitext(rel)[1]
        is_doc = ext == ".md" or rel.startswith("docs/")
        base = os.path.basename(rel)
        kind = CODE_EXT.get(ext) or ("hash" if base in ("CMakeLists.txt", "run") or rel.startswith(".ci/") else None)
        if not is_doc and not kind:
            continue
        try:
            text = open(os.path.join(ROOT, rel), encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        chunks = [(1, text)] if is_doc and ext != ".1" else comments(text, kind or "roff")
        for first, chunk in chunks:
            for m in PATH_RE.finditer(chunk):
                if not exists(m.group(1)):
                    bad.append("%s:%d: %s" % (rel, first + chunk.count("\n", 0, m.start()), m.group(1)))
            if ext == ".md":
                for m in MDLINK_RE.finditer(chunk):
                    t = m.group(1).split("#")[0]
                    if not t or re.match(r"^[a-z]+:", t):
                        continue
                    target = os.path.normpath(os.path.join(os.path.dirname(rel), t))
                    if target.startswith("..") or not os.path.exists(os.path.join(ROOT, target)):
                        bad.append("%s:%d: link %s" % (rel, first + chunk.count("\n", 0, m.start()), t))
            line = lambda m: first + chunk.count("\n", 0, m.start())
            for m in MD_RE.finditer(chunk):
                ref = m.group(1)
                if ref.startswith("../") or ref.split("/")[0] in TOPS:
                    continue  # UP_RE and PATH_RE check those
                here = os.path.join(ROOT, os.path.dirname(rel), ref)
                if not (os.path.exists(os.path.join(ROOT, ref)) or os.path.exists(here)
                        or ("/" not in ref and ref in basenames)):
                    bad.append("%s:%d: %s" % (rel, line(m), ref))
            for m in UP_RE.finditer(chunk):
                ref = m.group(1).rstrip(".,:;)'\"`")
                if ref.startswith(EXTERNAL_OK):
                    continue
                target = os.path.normpath(os.path.join(os.path.dirname(rel), ref))
                if target.startswith("..") or not exists(target):
                    bad.append("%s:%d: %s" % (rel, line(m), ref))
    for b in bad:
        print("cites a file that is not in the repository: " + b)
    print("doc_refs: %d file(s) read, %d missing reference(s)" % (len(names), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
