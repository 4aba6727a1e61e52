#!/usr/bin/env bash
# Make sure a Docker Engine answers on this machine.
#
# Idempotent: where a daemon already answers it does nothing. Otherwise it
# installs Debian's docker.io (and debootstrap, used to build base images when
# no registry is reachable) and starts dockerd in the background.
#
# Why --bridge=none --iptables=false: the machines Pony CI is built on forbid
# bridge networks and traffic to private address ranges. Test containers run
# with --network none anyway; trusted image builds use --network host.
set -euo pipefail

log() { printf 'ensure-docker: %s\n' "$*" >&2; }

answers() { timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if answers; then
  log "Docker Engine $(docker version --format '{{.Server.Version}}') already answers"
  exit 0
fi

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "Docker is not installed and this is not root: install ${need[*]} (apt-get install ${need[*]}) and start dockerd"
    exit 1
  fi
  log "installing ${need[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  logfile=${PONYCI_DOCKERD_LOG:-/var/log/ponyci-dockerd.log}
  log "starting dockerd (log: $logfile)"
  # setsid: the daemon must outlive the shell that started it (CI, a session).
  setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false >>"$logfile" 2>&1 </dev/null &
fi

for _ in $(seq 1 120); do
  if answers; then
    log "Docker Engine $(docker version --format '{{.Server.Version}}') answers"
    exit 0
  fi
  sleep 0.5
done
log "dockerd did not answer within 60 s; see ${PONYCI_DOCKERD_LOG:-/var/log/ponyci-dockerd.log}"
exit 1
