#!/usr/bin/env bash
# Make sure Redis (Debian's redis-server) is installed and one instance answers
# on 127.0.0.1:6379, for PONYCI_REDIS_URL=redis://127.0.0.1:6379 and the
# scale-out tests (which start their own redis-server processes from the same
# binary, on free ports, and stop them by PID).
#
# Idempotent: where Redis answers it does nothing. The instance it starts has
# AOF on (appendfsync everysec: BullMQ's recommendation; nothing a client was
# told is stored is lost on a restart) and binds to loopback only.
#   PONYCI_REDIS_START=0   install only, start nothing
set -euo pipefail

log() { printf 'ensure-redis: %s\n' "$*" >&2; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    log "redis-server is not installed and this is not root: apt-get install redis-server"
    exit 1
  fi
  log "installing redis-server from Debian"
  export DEBIAN_FRONTEND=noninteractive
  # Debian's package starts a service through systemd when there is one; none
  # here is fine: the instance is started below.
  # Another apt-get may hold the lock (a fresh machine installs several things at once): wait for it.
  for try in 1 2 3 4 5 6; do
    if apt-get -o DPkg::Lock::Timeout=120 update -qq && \
       apt-get -o DPkg::Lock::Timeout=120 install -y -qq --no-install-recommends redis-server redis-tools >/dev/null; then
      break
    fi
    [ "$try" = 6 ] && { log "apt-get could not install redis-server"; exit 1; }
    sleep 10
  done
fi

[ "${PONYCI_REDIS_START:-1}" = "0" ] && exit 0

answers() { timeout 5 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if answers; then
  log "Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') already answers on 127.0.0.1:6379"
  exit 0
fi

dir=${PONYCI_REDIS_DIR:-/var/lib/ponyci-redis}
mkdir -p "$dir"
log "starting redis-server on 127.0.0.1:6379 (data: $dir, log: $dir/redis.log)"
# --daemonize: it outlives the shell that started it (CI, a session).
redis-server --bind 127.0.0.1 --port 6379 --dir "$dir" --appendonly yes --appendfsync everysec \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --save ''

for _ in $(seq 1 50); do
  if answers; then
    log "Redis answers on 127.0.0.1:6379"
    exit 0
  fi
  sleep 0.2
done
log "redis-server did not answer within 10 s; see $dir/redis.log"
exit 1
