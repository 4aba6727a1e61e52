#!/usr/bin/env bash
# Install tox 4 in its own virtualenv for the test that compares Pony CI's
# reading of tox.ini with tox's own (`tox config` on trusted fixtures only:
# repository code never runs on the host). Idempotent; prints the tox path.
#
#   runner/host/ensure-tox.sh            -> /var/cache/ponyci/tox/bin/tox
#   PONYCI_TOX_VENV=/some/dir runner/host/ensure-tox.sh
set -euo pipefail

venv="${PONYCI_TOX_VENV:-/var/cache/ponyci/tox}"
version="4.67.15"

if [ -x "$venv/bin/tox" ] && "$venv/bin/tox" --version 2>/dev/null | grep -q "^$version "; then
  echo "$venv/bin/tox"
  exit 0
fi
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
  echo "ensure-tox: installing python3-venv" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >&2
fi
mkdir -p "$(dirname "$venv")"
rm -rf "$venv"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --disable-pip-version-check "tox==$version" >&2
echo "$venv/bin/tox"
