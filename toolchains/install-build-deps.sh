#!/bin/sh
# Installs, with apt-get, every Debian package that smv's builds and tests need: the native toolchain,
# the sanitizer runtimes, the cross compilers and qemu-user for the armhf/arm64 builds, and the tools
# the harness drives (iproute2, nftables, dnsmasq; tayga, unbound and nginx for the NAT64, DNS64, CLAT
# and header-enrichment scenarios). A machine is laid anew from time to time, so the project installs
# what it uses instead of relying on what a session left behind.
#
# dnsmasq-base, not dnsmasq: the same /usr/sbin/dnsmasq for the harness's namespaces, without the
# system service that the dnsmasq package starts on the host's port 53.
#
# unbound and nginx have no such split: Debian's packages start their system service on install
# (unbound on the host's port 53, nginx on 80). The harness runs its own instances inside its
# namespaces, on their own configuration files, and needs neither service: during the install a
# policy-rc.d refuses every start (exit 101, invoke-rc.d's "action forbidden"), and afterwards the
# services of the packages this run installed are stopped and disabled, so nothing listens on the
# host's ports and nothing starts at the next boot. tayga has no service of its own.
#
# Idempotent: packages already installed are skipped; apt-get update runs once, only when something is
# missing. Usage: toolchains/install-build-deps.sh [--print]   (--print lists what would be installed)
set -eu

PACKAGES="
  cmake ninja-build pkg-config make
  gcc libc6-dev binutils clang llvm libclang-rt-14-dev
  valgrind
  curl ca-certificates openssl python3 jq
  iproute2 nftables procps
  dnsmasq-base
  tayga unbound nginx
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

# No service starts during the install. A policy-rc.d already there (container images ship one) is
# left as it is; one this script writes is removed again, whatever the install's outcome.
POLICY=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# written by smv toolchains/install-build-deps.sh for the duration of an install\nexit 101\n' |
    $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  own_policy=1
  trap '$SUDO rm -f "$POLICY"' EXIT
fi
# shellcheck disable=SC2086
$SUDO apt-get $APT_OPTS install -y -qq --no-install-recommends $missing
[ -n "$own_policy" ] && $SUDO rm -f "$POLICY" && trap - EXIT

# The services of the daemons just installed: stopped (in case a start got through) and disabled.
for svc in unbound nginx; do
  case " $missing " in *" $svc "*) ;; *) continue ;; esac
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
  else
    [ -x "/etc/init.d/$svc" ] && $SUDO "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    command -v update-rc.d >/dev/null 2>&1 && $SUDO update-rc.d "$svc" disable >/dev/null 2>&1 || true
  fi
done
