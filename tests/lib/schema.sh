# The schema check every test library shares (integration, certs, hostile through common.sh; sandbox;
# harness): what smv printed with --json, the sandbox's ready line and every HAR file a test has smv
# write are validated against docs/result.schema.json and docs/har-1.2.schema.json by
# tests/lib/validate_json.py (python3-jsonschema).
#
# smv_schema_check KIND FILE...: returns 0 when every FILE is valid; else prints the validator's
# message on stderr and returns 1. KIND: result, sandbox_ready, har. Callers count a failure as a
# failed check of their own (fail / h_fail), so the test fails with the validator's message.
# POSIX sh too (the sandbox tests run under sh): the includer sets SMV_TEST_LIB_DIR (this directory)
# where $BASH_SOURCE does not say it.
SMV_TEST_LIB_DIR=${SMV_TEST_LIB_DIR:-$(dirname "${BASH_SOURCE:-}")}
SMV_SCHEMA_VALIDATOR="$(cd "$SMV_TEST_LIB_DIR" && pwd)/validate_json.py"
smv_schema_check() {
  local out
  if out=$(python3 "$SMV_SCHEMA_VALIDATOR" "$@" 2>&1); then
    return 0
  fi
  printf 'schema: %s\n' "$out" >&2
  return 1
}

# smv_schema_check_run OUT ARGS...: after `smv ARGS... >OUT` (ARGS with or without the subcommand,
# follow or report): OUT is validated as a result when ARGS has --json and OUT is not empty (a missing
# result is the caller's own check), and the file of --har FILE as a HAR when smv wrote it.
smv_schema_check_run() {
  local out=$1 json=0 har="" rc=0
  shift
  case "${1:-}" in paths|sandbox|testserver|demo) json=-1 ;; esac  # not a flow's result
  while [ $# -gt 0 ]; do
    case "$1" in
      --json) [ "$json" = -1 ] || json=1 ;;
      --har) [ $# -gt 1 ] && har=$2 ;;
    esac
    shift
  done
  if [ "$json" = 1 ] && [ -s "$out" ]; then smv_schema_check result "$out" || rc=1; fi
  if [ -n "$har" ] && [ -f "$har" ]; then smv_schema_check har "$har" || rc=1; fi
  return $rc
}
