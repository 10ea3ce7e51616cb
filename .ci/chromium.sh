#!/usr/bin/env bash
# Chromium and its chromedriver from the distribution's packages, for the status page's browser test
# (runnable StatusPageBrowserIT: /usr/bin/chromium, /usr/bin/chromedriver). Installs them if missing;
# idempotent.
set -euo pipefail
log() { printf '[ci] %s\n' "$*"; }

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  log "Chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}') and chromedriver are installed"
  exit 0
fi
log "installing chromium chromium-driver"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
/usr/bin/chromium --version
/usr/bin/chromedriver --version
