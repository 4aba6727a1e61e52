#!/usr/bin/env bash
# Prepare this machine to run Pony CI: Docker Engine, Redis, npm dependencies, the
# compiled app, the Python base images and the database service images. Idempotent and quick when done.
#
#   runner/host/setup.sh              everything (used by `npm run demo` and `npm test`:
#                                     some tests start the compiled server as a child process)
set -euo pipefail
cd "$(dirname "$0")/../.."

bash runner/host/ensure-docker.sh
bash runner/host/ensure-redis.sh
# Debian's Chromium, driven by playwright-core in the dashboard tests.
bash runner/host/ensure-chromium.sh >/dev/null

# Install npm dependencies when node_modules is missing or older than the lock
# file (npm install, not npm ci: see .ci/run).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm install)" >&2
  npm install --no-audit --no-fund >&2
fi

if [ ! -d dist ] || [ -n "$(find src runner bench -name '*.ts' -newer dist 2>/dev/null | head -n 1)" ]; then
  echo "setup: compiling TypeScript (npm run build)" >&2
  npm run -s build >&2
  touch dist
fi

bash runner/images/build-base-images.sh
bash runner/images/build-service-images.sh

# tox 4, for the test comparing Pony CI's reading of tox.ini with tox's own.
bash runner/host/ensure-tox.sh >/dev/null
