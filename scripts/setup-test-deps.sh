#!/usr/bin/env bash
# Installs the system packages the test suite needs on Debian / Raspberry Pi OS:
# socat (real serial pseudo-terminals), openssl (test certificates), build tools for native addons,
# systemd (systemd-analyze checks the unit), systemd-container (systemd-nspawn boots a real systemd
# for `npm run test:systemd`), and the Python packages the ACME CSE bundle of the interop suite
# imports (`npm run test:interop`; only when ../shared/acme or $ACME_BUNDLE exists).
# Skips what is already there.
set -euo pipefail
need=()
command -v socat >/dev/null || need+=(socat)
command -v openssl >/dev/null || need+=(openssl)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null || need+=(g++)
command -v python3 >/dev/null || need+=(python3)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v unshare >/dev/null || need+=(util-linux)
command -v systemd-nspawn >/dev/null || need+=(systemd-container)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# The real ACME CSE for `npm run test:interop`: its own `deps` installs what it imports.
acme_bundle="${ACME_BUNDLE:-$(cd "$(dirname "$0")/.." && pwd)/../shared/acme}"
if [ -x "$acme_bundle/acme.sh" ]; then
  "$acme_bundle/acme.sh" deps
else
  echo "no ACME bundle at $acme_bundle: npm run test:interop will skip"
fi
