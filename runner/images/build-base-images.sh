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
[ "${#versions[@]}" -gt 0 ] || versions=(3.9 3.11 3.13)
template=${PONYCI_BASE_IMAGE:-auto}
mirror=${PONYCI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
log() { printf 'base-images: %s\n' "$*" >&2; }

suite_for() {
  case "$1" in
    3.9) echo bullseye ;;
    3.11) echo bookworm ;;
    3.13) echo trixie ;;
    *) return 1 ;;
  esac
}

exists() { docker image inspect "$1" >/dev/null 2>&1; }

# What the image's interpreter is, as labels (runner/src/environment/probe-base-image.ts reads them, so a
# cold environment build need not start a container to ask): "org.ponyci.libc=glibc org.ponyci.libc-version=2.36 …".
# An image built before they existed keeps working (the builder asks it in a container, once per process);
# it is not relabelled here, since a new image id would make every environment built on it cold again.
PROBE_LABELS='import platform; l = platform.libc_ver(); print("org.ponyci.libc=%s org.ponyci.libc-version=%s org.ponyci.machine=%s" % (l[0], l[1], platform.machine()))'

build_local() { # version image
  local version=$1 image=$2 suite root
  if ! suite=$(suite_for "$version"); then
    log "no Debian suite ships Python $version; supported locally: 3.9 (bullseye), 3.11 (bookworm), 3.13 (trixie)"
    return 1
  fi
  command -v debootstrap >/dev/null || { log "debootstrap is missing: run runner/host/ensure-docker.sh or apt-get install debootstrap"; return 1; }
  root=$(mktemp -d /var/tmp/ponyci-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  log "building $image from Debian $suite (debootstrap, a few minutes)"
  local t0=$SECONDS
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip \
    "$suite" "$root" "$mirror" >"$root.log" 2>&1 || { log "debootstrap failed; last lines:"; tail -n 20 "$root.log" >&2; return 1; }
  rm -f "$root.log"
  # Trim what a test container never needs.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
         "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  local got labels
  got=$(chroot "$root" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  labels=$(chroot "$root" python3 -c "$PROBE_LABELS")
  if [ "$got" != "$version" ]; then
    log "Debian $suite ships Python $got, not $version"
    return 1
  fi
  tar -C "$root" -c . | docker import \
    --change 'ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1' \
    --change 'CMD ["python3"]' \
    --change "LABEL org.ponyci.base=1 org.ponyci.python=$version org.ponyci.suite=$suite $labels" \
    - "$image" >/dev/null
  log "built $image in $((SECONDS - t0)) s"
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
