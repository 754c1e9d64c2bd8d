#!/usr/bin/env bash
# Fetch the pinned upstream tarballs of smv's dependencies from Debian's archive (Debian 13 source
# packages, the .orig tarballs) and check them against toolchains/deps.lock.
#
# Why this way: this machine and CI reach only Debian's archive, and no archive host name may be
# written into the repository. The archive is read from the machine's own apt configuration, and
# apt's own downloader (apt-helper) fetches through it, so proxies and mirrors configured for apt
# apply. The system configuration is not changed. Files are fetched by their pool path rather than by
# `apt-get source NAME`, because the archive's index moves to newer Debian revisions (and mirrors drop
# the old files' companions) while our pins stay put; a pin is a pool path plus its SHA-256.
# A tarball already in the cache with the right sum is not fetched again.
#
# usage: toolchains/fetch-deps.sh [CACHE_DIR]   (default: $SMV_DEPS_CACHE or .deps-cache at the top)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${1:-${SMV_DEPS_CACHE:-$top/.deps-cache}}
lock=$top/toolchains/deps.lock
mkdir -p "$cache"

archive_uri() {
  local f u
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822: the first URIs: line of a stanza whose Suites are not the security suites.
    u=$(awk 'BEGIN{RS=""} /Suites:/ && !/-security/ { if (match($0, /URIs:[ \t]*[^ \t\n]+/)) { s=substr($0,RSTART,RLENGTH); sub(/URIs:[ \t]*/,"",s); print s; exit } }' "$f")
    [ -n "$u" ] && { echo "${u%/}"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    u=$(awk '($1=="deb"||$1=="deb-src") && !/-security/ {for(i=2;i<=NF;i++) if ($i ~ /:\/\//) {print $i; exit}}' "$f")
    [ -n "$u" ] && { echo "${u%/}"; return; }
  done
}

uri=""
fail=0
while read -r name pool sha; do
  case "$name" in ''|\#*) continue ;; esac
  file=$cache/$(basename "$pool")
  if [ -f "$file" ] && echo "$sha  $file" | sha256sum -c --status; then
    continue
  fi
  if [ -z "$uri" ]; then
    uri=$(archive_uri)
    [ -n "$uri" ] || { echo "fetch-deps: no Debian archive in the apt configuration" >&2; exit 1; }
  fi
  echo "fetch-deps: $name: $(basename "$pool")" >&2
  rm -f "$file"
  if ! /usr/lib/apt/apt-helper -o APT::Sandbox::User=root -qq download-file "$uri/$pool" "$file" "SHA256:$sha" >/dev/null; then
    echo "fetch-deps: $name: download failed ($pool)" >&2
    fail=1; continue
  fi
  if ! echo "$sha  $file" | sha256sum -c --status; then
    echo "fetch-deps: $name: SHA-256 mismatch, want $sha" >&2
    rm -f "$file"; fail=1
  fi
done < "$lock"
exit $fail
