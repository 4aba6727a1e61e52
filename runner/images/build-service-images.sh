#!/usr/bin/env bash
# Build (or pull) the database service images cells with a `database:` use.
#
#   runner/images/build-service-images.sh [postgres mariadb postgis]
#
# PONYCI_SERVICE_IMAGE picks the images (see .env.example):
#   auto (default)               ponyci/{service}:{version} built here from Debian
#                                bookworm's packages (postgres 15, mariadb 10.11, postgis:
#                                postgres 15 with PostGIS 3), unless
#                                a registry answers, then the official images are used
#   ponyci/{service}:{version}   always build locally
#   anything else                a template pulled from a registry, e.g. {service}:{version}
#
# A local image starts FROM ponyci/python:3.11 (bookworm, made by
# build-base-images.sh), installs the server with apt in a trusted
# `--network host` container, and bakes an initialised, empty cluster (user
# and database "ponyci", password "ponyci") into /opt/ponyci/template, which
# the container's entry point copies onto a tmpfs at start. Images that
# already exist are skipped, so this is cheap to run every time. No repository
# code is involved here. A small template (1 MB WAL segments, an 8 MB redo log) keeps
# the copy at start cheap.
set -euo pipefail
cd "$(dirname "$0")"

services=("$@")
[ "${#services[@]}" -gt 0 ] || services=(postgres mariadb postgis)
template=${PONYCI_SERVICE_IMAGE:-auto}
log() { printf 'service-images: %s\n' "$*" >&2; }
exists() { docker image inspect "$1" >/dev/null 2>&1; }
# A local image records the hash of its recipe: a changed recipe rebuilds it.
recipe() { # postgis is postgres's recipe plus its own lines
  { cat "services/install-$1.sh" "services/entrypoint-$1.sh"; [ "$1" != postgis ] || cat services/install-postgres.sh; } | sha256sum | cut -c1-16
}
current() { # service image
  [ "$(docker image inspect -f '{{ index .Config.Labels "org.ponyci.recipe" }}' "$2" 2>/dev/null)" = "$(recipe "$1")" ]
}

# The version bookworm ships, and the official image's default version.
# MySQL: Debian ships no MySQL server, so `mysql` cells run on MariaDB (same protocol and client libraries).
local_version() { case "$1" in postgres | postgis) echo 15 ;; mariadb) echo 10.11 ;; *) return 1 ;; esac; }
official_version() { case "$1" in postgres) echo 16 ;; mariadb) echo 11 ;; postgis) echo 16-3.4 ;; *) return 1 ;; esac; }
# The official image's name (PostGIS's is published by the PostGIS project).
official_name() { case "$1" in postgis) echo postgis/postgis ;; *) echo "$1" ;; esac; }

build_local() { # service image
  local service=$1 image=$2 base=ponyci/python:3.11 container
  if ! exists "$base"; then
    PONYCI_BASE_IMAGE="ponyci/python:{python}" bash ./build-base-images.sh 3.11 || { log "$image needs $base, which could not be built"; return 1; }
  fi
  log "building $image from Debian bookworm's packages (apt, about a minute)"
  local t0=$SECONDS
  container=$(docker create --network host --user root \
    -v "$PWD/services:/opt/ponyci/setup:ro" "$base" bash /opt/ponyci/setup/install-"$service".sh)
  # shellcheck disable=SC2064
  trap "docker rm -f $container >/dev/null 2>&1 || true" RETURN
  if ! docker start -a "$container" >"/var/tmp/ponyci-$service-image.log" 2>&1; then
    log "installing $service failed; last lines:"
    tail -n 30 "/var/tmp/ponyci-$service-image.log" >&2
    return 1
  fi
  rm -f "/var/tmp/ponyci-$service-image.log"
  local version old
  version=$(local_version "$service")
  old=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  docker commit \
    --change "ENTRYPOINT [\"/opt/ponyci/entrypoint.sh\"]" \
    --change 'CMD []' \
    --change "USER ponyci-db" \
    --change "LABEL org.ponyci.service=$service org.ponyci.service-version=$version org.ponyci.recipe=$(recipe "$service")" \
    "$container" "$image" >/dev/null
  # The image this one replaces (an older recipe), unless a container still uses it.
  [ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
  log "built $image in $((SECONDS - t0)) s"
}

registry_answers() {
  timeout 60 docker pull -q "postgres:$(official_version postgres)" >/dev/null 2>&1
}

if [ "$template" = auto ]; then
  have_local=1
  for s in "${services[@]}"; do current "$s" "ponyci/$s:$(local_version "$s")" || have_local=0; done
  if [ "$have_local" = 1 ] || ! registry_answers; then
    template='ponyci/{service}:{version}'
  else
    template='{service}:{version}'
  fi
fi

status=0
for s in "${services[@]}"; do
  if ! local_version "$s" >/dev/null; then
    log "unknown service $s (known: postgres, mariadb, postgis)"
    status=1
    continue
  fi
  if [[ "$template" == ponyci/* ]]; then version=$(local_version "$s"); else version=$(official_version "$s"); fi
  if [ "$template" = '{service}:{version}' ]; then image="$(official_name "$s"):{version}"; else image=${template//\{service\}/$s}; fi
  image=${image//\{version\}/$version}
  if [[ "$image" == ponyci/* ]] && current "$s" "$image"; then
    log "$image exists"
    continue
  elif [[ "$image" != ponyci/* ]] && exists "$image"; then
    log "$image exists"
    continue
  fi
  if [[ "$image" == ponyci/* ]]; then
    build_local "$s" "$image" || status=1
  else
    log "pulling $image"
    docker pull -q "$image" >/dev/null || { log "could not pull $image"; status=1; }
  fi
done
exit $status
