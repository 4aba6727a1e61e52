#!/bin/sh
# Builds Pony CI's image (ponyci/ponyci:latest) and, with REDIS_IMAGE set, a
# Redis image, from this checkout, without the npm registry: the context is
# the npm package (`npm pack`, after `npm run build`) plus this checkout's
# node_modules pruned to production. apt in the Dockerfile reaches Debian
# (the build runs with host networking: a trusted step, like building the
# base images).
#   docs/deploy/build-image.sh                      # ponyci/ponyci:latest on ponyci/python:3.13
#   IMAGE=registry.example.com/ponyci:1 BASE=debian:trixie-slim docs/deploy/build-image.sh
#   REDIS_IMAGE=ponyci/redis:latest docs/deploy/build-image.sh
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=${IMAGE:-ponyci/ponyci:latest}
BASE=${BASE:-ponyci/python:3.13}
CONTEXT=$(mktemp -d)
trap 'rm -rf "$CONTEXT"' EXIT INT TERM
cd "$ROOT"
[ -d node_modules ] || { echo "build-image.sh: run npm ci first" >&2; exit 2; }
npm run build --silent
npm pack --silent --ignore-scripts --pack-destination "$CONTEXT" >/dev/null
mkdir "$CONTEXT/app"
tar -xzf "$CONTEXT"/ponyci-*.tgz -C "$CONTEXT/app" --strip-components=1
rm "$CONTEXT"/ponyci-*.tgz
cp package-lock.json "$CONTEXT/app/"
cp -a node_modules "$CONTEXT/app/node_modules"
(cd "$CONTEXT/app" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund --silent)
cp docs/deploy/Dockerfile "$CONTEXT/Dockerfile"
docker build --network host --build-arg "BASE=$BASE" --target runtime -t "$IMAGE" "$CONTEXT"
if [ -n "${REDIS_IMAGE:-}" ]; then
  docker build --network host --build-arg "BASE=$BASE" --target redis -t "$REDIS_IMAGE" "$CONTEXT"
fi
