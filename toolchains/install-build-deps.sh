#!/bin/sh
# Installs, with apt-get, every Debian package that smv's builds and tests need: the native toolchain,
# the sanitizer runtimes, the cross compilers and qemu-user for the armhf/arm64 builds, and the tools
# the harness drives (iproute2, nftables, dnsmasq; tayga, unbound and nginx for the NAT64, DNS64, CLAT
# and header-enrichment scenarios). A machine is laid anew from time to time, so the project installs
# what it uses instead of relying on what a session left behind.
#
# python3-yaml: the CAMARA feature runner (tests/camara) reads the official OpenAPI file (YAML).
# The packaging and documentation checks: dpkg-dev (dpkg-shlibdeps, dpkg-deb), lintian, groff and
# man-db (the man page), bash-completion (where the completion script is installed to), abigail-tools
# (abidw/abidiff: libsmv.so's ABI against tests/abi/libsmv.abi),
# python3-jsonschema (every --json result and HAR the tests see is validated against docs/*.json).
# android-platform-frameworks-native-headers: AOSP's own <android/multinetwork.h>, which the Android
# platform layer is compiled against on Linux (docs/android.md).
# libcjson-dev, libhttp-parser-dev, libcmocka-dev: the SMV_USE_SYSTEM_DEPS build of CI; Debian 12's
# libuv (1.44), c-ares (1.18) and mbedTLS (2.28) are below the project's minimums, so those stay pinned
# there (docs/building.md).
# libcurl4-openssl-dev: only for the differential URL fuzz target (tests/fuzz/fuzz_url_curl.c), whose
# independent implementation is libcurl's URL API; nothing else links libcurl.
#
# dnsmasq-base, not dnsmasq: the same /usr/sbin/dnsmasq for the harness's namespaces, without the
# system service that the dnsmasq package starts on the host's port 53.
#
# openssl, gnutls-bin (gnutls-serv) and nginx are the independent TLS servers of tests/interop;
# tayga, unbound and nginx the NAT64, DNS64 and enrichment proxy of the harness. Debian's unbound and
# nginx start their system service on install (unbound on the host's port 53, nginx on 80), and the
# tests need neither: they run their own instances, on their own configuration, on ports (or in
# namespaces) of their own. So the install runs under a policy-rc.d that refuses every service start
# (exit 101, invoke-rc.d(8); deb-systemd-invoke honours it too), and afterwards the services of the
# packages this run installed are stopped (in case a start got through) and disabled at boot: nothing
# listens on the host's ports. tayga has no service of its own.
#
# Idempotent: packages already installed are skipped; apt-get update runs once, only when something is
# missing. Usage: toolchains/install-build-deps.sh [--print]   (--print lists what would be installed)
set -eu

PACKAGES="
  cmake ninja-build pkg-config make
  gcc libc6-dev binutils clang llvm libclang-rt-14-dev
  valgrind
  curl ca-certificates openssl python3 python3-yaml jq
  gnutls-bin nginx
  libcurl4-openssl-dev
  iproute2 nftables procps
  dnsmasq-base
  tayga unbound nginx
  qemu-user
  gcc-arm-linux-gnueabihf libc6-dev-armhf-cross binutils-arm-linux-gnueabihf
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
  xz-utils bzip2 file
  dpkg-dev lintian groff man-db bash-completion abigail-tools
  python3-jsonschema
  android-platform-frameworks-native-headers
  libcjson-dev libhttp-parser-dev libcmocka-dev
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

# No service starts during the install (the machine's own policy-rc.d, if any, is put back after).
POLICY=/usr/sbin/policy-rc.d
SAVED=""
if [ -e "$POLICY" ]; then
  SAVED=$($SUDO mktemp "$POLICY.smv-saved.XXXXXX")
  $SUDO cp -p "$POLICY" "$SAVED"
fi
restore_policy() {
  if [ -n "$SAVED" ]; then $SUDO mv -f "$SAVED" "$POLICY"; else $SUDO rm -f "$POLICY"; fi
}
trap restore_policy EXIT
printf '#!/bin/sh\n# install-build-deps (smv): no service starts during this install\nexit 101\n' |
  $SUDO tee "$POLICY" >/dev/null
$SUDO chmod 755 "$POLICY"
# shellcheck disable=SC2086
$SUDO apt-get $APT_OPTS install -y -qq --no-install-recommends $missing

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
