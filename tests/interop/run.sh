#!/usr/bin/env bash
# The interoperability suite of issue 11 (docs/interop.md): smv against OpenSSL's s_server, GnuTLS's
# gnutls-serv, nginx and Python's ssl module, with curl as the control on every server.
#   tests/interop/run.sh [--table] [--stack openssl|gnutls|nginx|python]... [--case NAME]... [--list]
#                        [--smv PATH] [--twice PATH] [--jobs N] [--keep]
# --table prints the stack x case table (smv's result, curl's, the server's own view). Exit 0 when
# every case passed, 1 when one failed, 77 when a server program is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build"
args=()
smv="$build/bin/smv"
twice="$build/bin/smv_interop_twice"
while [ $# -gt 0 ]; do
  case "$1" in
    --smv) smv="$2"; shift ;;
    --twice) twice="$2"; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done
exec python3 "$here/interop.py" --smv "$smv" --twice "$twice" "${args[@]}"
