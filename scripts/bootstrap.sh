#!/usr/bin/env bash
# Installs the Debian packages Taube needs to build, run and test.
# Idempotent and non-interactive: packages already present are skipped, so a
# second run costs one dpkg-query. Needs root (or sudo) only when something is missing.
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config ccache lld clang-14 libclang-rt-14-dev
  libboost1.81-dev libssl-dev libsqlite3-dev sqlite3 libpq-dev
  libldap-dev libical-dev tzdata libxml2-dev libzstd-dev libunbound-dev libevent-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libcli11-dev nlohmann-json3-dev
  libargon2-dev libcrypt-dev libgtest-dev libgmock-dev libbenchmark-dev openssl
)
# Real clients used by the end-to-end tests (Debian's python3-* import only under
# /usr/bin/python3, which the tests use).
test_pkgs=(
  python3 swaks libnet-ssleay-perl libio-socket-ssl-perl isync python3-dkim python3-nacl postgresql
  postgresql-15-auto-failover unbound dnsmasq-base python3-dnspython python3-caldav python3-icalendar vdirsyncer
)
# The peers the benchmarks compare against, measured in the same run.
bench_pkgs=(
  postfix dovecot-imapd dovecot-lmtpd radicale
)

want=("${build_pkgs[@]}")
case "${1:-}" in
  --test) want+=("${test_pkgs[@]}") ;;
  --bench) want+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  "") ;;
  *) echo "usage: bootstrap.sh [--test|--bench]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi

echo "bootstrap: installing ${missing[*]}"
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# Packages that ship daemons must not start them here: tests start their own.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Postfix asks how to configure itself; the benchmarks give it its own configuration.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
