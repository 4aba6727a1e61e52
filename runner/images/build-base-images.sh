#!/usr/bin/env bash
# Build (or pull) the Python base images that cell environments start from.
#
#   runner/images/build-base-images.sh [3.9 3.11 3.13 ...]
#
# PONYCI_BASE_IMAGE picks the images (see .env.example):
#   auto (default)          python:X.Y-slim when a registry answers, else ponyci/python:X.Y
#   ponyci/python:{python}  always build locally from a Debian suite (debootstrap + docker import)
#   anything else           a template pulled from a registry, {python} replaced by X.Y
#
# Images that already exist are skipped, so this is cheap to run every time.
# Local builds use --network host only for debootstrap itself (a trusted step
# run on the host); no repository code is ever involved here.
set -euo pipefail

versions=("$@")
# Default: the stock images `npm run demo` and the tests use; any other is added on a cell's first need.
[ "${#versions[@]}" -gt 0 ] || versions=(3.9 3.11 3.13)
template=${PONYCI_BASE_IMAGE:-auto}
log() { printf 'base-images: %s\n' "$*" >&2; }

exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Labels (what the interpreter is, where it came from) are add-python-image.sh's: probe-base-image.ts reads them.
build_local() { # version image
  # The Debian suite that ships it, read from the suites' package lists (add-python-image.sh), not a table here.
  PONYCI_IMAGE_NAME=$2 bash "$(dirname "$0")/add-python-image.sh" "$1" --from debian
}

registry_answers() {
  # A registry is "reachable" when the first slim image can be pulled quickly.
  timeout 60 docker pull -q "python:${versions[0]}-slim" >/dev/null 2>&1
}

if [ "$template" = auto ]; then
  have_slim=1
  for v in "${versions[@]}"; do exists "python:$v-slim" || have_slim=0; done
  if [ "$have_slim" = 1 ] || registry_answers; then
    template='python:{python}-slim'
  else
    template='ponyci/python:{python}'
  fi
fi

status=0
for v in "${versions[@]}"; do
  image=${template//\{python\}/$v}
  if exists "$image"; then
    log "$image exists"
    continue
  fi
  if [[ "$image" == ponyci/* ]]; then
    build_local "$v" "$image" || status=1
  else
    log "pulling $image"
    docker pull -q "$image" >/dev/null || { log "could not pull $image"; status=1; }
  fi
done
exit $status
