#!/bin/sh
# Installs, with apt-get, every Debian package that smv's builds and tests need: the native toolchain,
# the sanitizer runtimes, the cross compilers and qemu-user for the armhf/arm64 builds, and the tools
# the harness drives (iproute2, nftables, dnsmasq). A machine is laid anew from time to time, so the
# project installs what it uses instead of relying on what a session left behind.
#
# libcurl4-openssl-dev: only for the differential URL fuzz target (tests/fuzz/fuzz_url_curl.c), whose
# independent implementation is libcurl's URL API; nothing else links libcurl.
#
# dnsmasq-base, not dnsmasq: the same /usr/sbin/dnsmasq for the harness's namespaces, without the
# system service that the dnsmasq package starts on the host's port 53.
#
# Idempotent: packages already installed are skipped; apt-get update runs once, only when something is
# missing. Usage: toolchains/install-build-deps.sh [--print]   (--print lists what would be installed)
set -eu

PACKAGES="
  cmake ninja-build pkg-config make
  gcc libc6-dev binutils clang llvm libclang-rt-14-dev
  valgrind
  curl ca-certificates openssl python3 jq
  libcurl4-openssl-dev
  iproute2 nftables procps
  dnsmasq-base
  qemu-user
  gcc-arm-linux-gnueabihf libc6-dev-armhf-cross binutils-arm-linux-gnueabihf
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
  xz-utils bzip2 file
"

is_installed() {
  # dpkg-query prints the status word "installed" only for a fully installed package.
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

missing=""
for p in $PACKAGES; do
  is_installed "$p" || missing="$missing $p"
done

if [ -z "$missing" ]; then
  echo "install-build-deps: everything is installed"
  exit 0
fi
if [ "${1:-}" = "--print" ]; then
  echo "install-build-deps: missing:$missing"
  exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt run (a colleague's, an unattended upgrade) may hold the lock: wait for it rather than fail.
APT_OPTS="-o DPkg::Lock::Timeout=600 -o Acquire::Retries=3"
echo "install-build-deps: installing:$missing"
$SUDO apt-get $APT_OPTS update -qq
# shellcheck disable=SC2086
$SUDO apt-get $APT_OPTS install -y -qq --no-install-recommends $missing
