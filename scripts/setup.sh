#!/usr/bin/env bash
# `npm run setup`: everything a fresh Debian 12 machine needs for Parley, idempotent.
#  - Debian packages (apt): the lab's Kamailio with TLS and WebSocket modules, openssl for the test CA, third-party SIP peers for
#    interop tests (baresip, linphonec), SIPp for the page-mode baseline, Chromium for the browser tests, tshark for wire captures,
#    rsvg-convert, ImageMagick and png2icns to regenerate the icons in assets/ (scripts/build-icons.mjs).
#  - npm packages: `npm ci` (with the Electron binary download skipped; install scripts allowed only as listed in package.json).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(kamailio kamailio-tls-modules kamailio-websocket-modules openssl ca-certificates
  baresip-core linphone-cli sip-tester chromium tshark sngrep librsvg2-bin imagemagick icnsutils)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages already installed: ${APT_PACKAGES[*]}"
fi
# Debian may start its own Kamailio service on 5060; the lab runs its own instances, so stop the stock one if it runs.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then
  echo "setup: stopping and disabling the stock kamailio service (the lab starts its own)"
  $SUDO systemctl disable --now kamailio || true
fi

echo "setup: npm ci"
ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-audit --no-fund
echo "setup: building the renderer"
if [ -f scripts/build-renderer.mjs ]; then node scripts/build-renderer.mjs; fi
echo "setup: done"
