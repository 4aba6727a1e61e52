#!/usr/bin/env bash
# Make sure Debian's Chromium is installed: the dashboard tests drive it with
# playwright-core (which downloads no browser of its own).
#
# Idempotent: where `chromium` is on PATH it does nothing. Prints the binary's
# path on stdout. Waits for another apt/dpkg run (other setup scripts on this
# machine) instead of failing on its lock.
set -euo pipefail

log() { printf 'ensure-chromium: %s\n' "$*" >&2; }

if command -v chromium >/dev/null 2>&1; then
  command -v chromium
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "Chromium is not installed and this is not root: install it (apt-get install chromium)"
  exit 1
fi
log "installing chromium from Debian"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium
