#!/usr/bin/env python3
"""Validates what smv printed or wrote against the project's schemas, with Debian's
python3-jsonschema (an implementation independent of smv's own JSON code).

usage: validate_json.py KIND FILE...
  KIND  result          `smv follow|report --json` output (docs/result.schema.json, $defs/result)
        sandbox_ready   the ready line of `smv sandbox` (docs/result.schema.json, $defs/sandbox_ready)
        har             a HAR file written by --har (docs/har-1.2.schema.json)
Each FILE holds one JSON document (surrounding whitespace allowed). Exit 0 when every file is valid;
1 with one line per violation (file, JSON path, the validator's message) otherwise; 2 on bad usage or
when python3-jsonschema is missing (toolchains/install-build-deps.sh installs it).
"""
import json
import os
import sys

DOCS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
KINDS = {
    "result": ("result.schema.json", "result"),
    "sandbox_ready": ("result.schema.json", "sandbox_ready"),
    "har": ("har-1.2.schema.json", "har"),
}


def main(argv):
    if len(argv) < 3 or argv[1] not in KINDS:
        sys.stderr.write("usage: validate_json.py result|sandbox_ready|har FILE...\n")
        return 2
    try:
        import jsonschema
    except ImportError:
        sys.stderr.write("validate_json: python3-jsonschema is missing (toolchains/install-build-deps.sh)\n")
        return 2
    name, definition = KINDS[argv[1]]
    with open(os.path.join(DOCS, name)) as f:
        root = json.load(f)
    jsonschema.Draft202012Validator.check_schema(root)
    # The definition asked for, with the root's $defs beside it so that its $refs resolve.
    schema = {"$schema": root["$schema"], "$defs": root["$defs"], "$ref": "#/$defs/" + definition}
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv[2:]:
        try:
            with open(path) as f:
                doc = json.loads(f.read())
        except (OSError, ValueError) as e:
            print("%s: not JSON: %s" % (path, e))
            bad += 1
            continue
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "".join("[%d]" % p if isinstance(p, int) else ".%s" % p for p in err.absolute_path)
            print("%s: %s %s: %s" % (path, argv[1], where or "(top)", err.message))
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
