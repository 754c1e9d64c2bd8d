#!/usr/bin/env python3
"""smv(1) documents every option the binary prints, and groff finds nothing to warn about.

usage: man_options.py SMV MANPAGE VERSION [CLI_MD]
- every option of `smv COMMAND --help` (tests/tree/cli_options.py) has a tagged paragraph (.TP) in a
  subsection of OPTIONS whose `.\\" options: CMD...` comment names COMMAND; the options of
  `smv --help` have one anywhere in the page;
- `groff -ww -z -man` prints nothing (every warning enabled);
- the page's .TH line names the project's version;
- with CLI_MD (docs/cli.md), every option is in one of its tables too.
Exit 1 with what is missing, 77 when groff is not installed.
"""
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OPT = re.compile(r"(?<![\w/-])(--?[A-Za-z][A-Za-z0-9-]*)")


def tags(page):
    """{subsection command or '*': set of options in its .TP tags}"""
    out = {"*": set()}
    current = []
    lines = page.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(".SH") or line.startswith(".SS"):
            current = []
        m = re.match(r'^\.\\" options: (.*)$', line)
        if m:
            current = m.group(1).split()
        if line.strip() == ".TP" and i + 1 < len(lines):
            tag = lines[i + 1].replace("\\-", "-")
            tag = re.sub(r"\\f[BIRP]", " ", tag)
            found = set(OPT.findall(tag.replace('"', " ")))
            out["*"] |= found
            for c in current:
                out.setdefault(c, set()).update(found)
    return out


def main():
    smv, manpage, version = sys.argv[1:4]
    if not shutil.which("groff"):
        print("SKIP: groff is not installed (toolchains/install-build-deps.sh installs it)")
        return 77
    page = open(manpage, encoding="utf-8").read()
    failures = []
    warn = subprocess.run(["groff", "-ww", "-z", "-man", manpage], capture_output=True, text=True)
    if warn.returncode != 0 or warn.stdout or warn.stderr:
        failures.append("groff -ww -z -man: rc %d: %s%s" % (warn.returncode, warn.stdout, warn.stderr))
    th = re.search(r"^\.TH .*$", page, re.M)
    if not th or ('"smv %s"' % version) not in th.group(0):
        failures.append(".TH does not name smv %s: %s" % (version, th.group(0) if th else "(no .TH)"))
    opts = subprocess.run([sys.executable, os.path.join(HERE, "cli_options.py"), smv],
                          capture_output=True, text=True, check=True).stdout.split("\n")
    have = tags(page)
    checked = 0
    for line in opts:
        if not line:
            continue
        cmd, opt = line.split()
        where = have["*"] if cmd == "smv" else have.get(cmd, set())
        checked += 1
        if opt not in where:
            failures.append("`smv %s --help` prints %s, which smv(1) does not document under %s" %
                            ("" if cmd == "smv" else cmd, opt, "any option" if cmd == "smv" else cmd))
    if len(sys.argv) > 4:
        rows = [l for l in open(sys.argv[4], encoding="utf-8") if l.startswith("|")]
        for line in opts:
            if not line:
                continue
            cmd, opt = line.split()
            if not any(re.search(r"`(smv )?" + re.escape(opt) + r"[` ,=]", r) for r in rows):
                failures.append("%s (of `smv %s --help`) is in no table of %s" %
                                (opt, "" if cmd == "smv" else cmd, os.path.basename(sys.argv[4])))
    for f in failures:
        print("FAIL: " + f)
    print("man_options: %d options of the binary checked against %s, %d failure(s)" %
          (checked, os.path.basename(manpage), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
