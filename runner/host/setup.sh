#!/usr/bin/env bash
# Prepare this machine to run Pony CI: Docker Engine, npm dependencies, the
# compiled app, and the Python base images. Idempotent and quick when done.
#
#   runner/host/setup.sh              everything (used by `npm run demo`)
#   runner/host/setup.sh --for-tests  skip the TypeScript build (tests run the sources)
set -euo pipefail
cd "$(dirname "$0")/../.."

for_tests=0
[ "${1:-}" = "--for-tests" ] && for_tests=1

bash runner/host/ensure-docker.sh

# npm ci when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi

if [ "$for_tests" = 0 ]; then
  if [ ! -d dist ] || [ -n "$(find src runner bench -name '*.ts' -newer dist 2>/dev/null | head -n 1)" ]; then
    echo "setup: compiling TypeScript (npm run build)" >&2
    npm run -s build >&2
  fi
fi

bash runner/images/build-base-images.sh
