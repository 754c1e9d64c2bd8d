#!/usr/bin/env python3
"""The commands and options the smv binary itself prints, for the man page and completion checks.

usage: cli_options.py SMV
Prints one "COMMAND OPTION" line per option that `smv COMMAND --help` shows, and "smv OPTION" for
those of `smv --help` (the commands come from its usage lines). Every option-looking word counts
(-v, --max-time, the ones in usage lines and in prose), so an option added to a --help text is
seen here without anyone listing it.
"""
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w/-])(--?[A-Za-z][A-Za-z0-9-]*)")


def help_text(smv, *args):
    p = subprocess.run([smv, *args, "--help"], capture_output=True, text=True, timeout=20)
    if p.returncode != 0:
        sys.exit("cli_options: `smv %s --help` exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def main():
    smv = sys.argv[1]
    top = help_text(smv)
    commands = []
    for line in top.split("\n"):
        m = re.match(r"^(?:usage:)?\s+smv ([a-z]+)\b", line)
        if m and m.group(1) not in commands:
            commands.append(m.group(1))
    if not commands:
        sys.exit("cli_options: no commands in `smv --help`")
    for o in sorted(set(OPT.findall(top))):
        print("smv", o)
    for c in commands:
        for o in sorted(set(OPT.findall(help_text(smv, c)))):
            print(c, o)


if __name__ == "__main__":
    main()
