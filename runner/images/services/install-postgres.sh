#!/bin/bash
# Runs as root in a trusted `--network host` container made from
# ponyci/python:3.11 (bookworm), by build-service-images.sh: installs
# bookworm's PostgreSQL 15 and bakes an initialised, empty cluster into
# /opt/ponyci/template (superuser "ponyci", password "ponyci", database
# "ponyci"). The entry point copies it onto a tmpfs at every start.
# PONYCI_PG_EXTRA_PACKAGES: more packages installed with the server (install-postgis.sh's PostGIS).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# No "main" cluster under /var/lib/postgresql: the template is ours.
mkdir -p /etc/postgresql-common
echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
apt-get update -qq
# shellcheck disable=SC2086 # a list of package names
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold postgresql-15 ${PONYCI_PG_EXTRA_PACKAGES:-}
rm -f /usr/sbin/policy-rc.d

groupadd -g 10002 ponyci-db
useradd -u 10002 -g 10002 -d /nonexistent -s /usr/sbin/nologin ponyci-db
bin=/usr/lib/postgresql/15/bin
# The same names the official image has on PATH, for the readiness check.
ln -sf "$bin/pg_isready" /usr/local/bin/pg_isready
ln -sf "$bin/psql" /usr/local/bin/psql

template=/opt/ponyci/template
mkdir -p "$template" && chown ponyci-db:ponyci-db "$template"
echo ponyci > /tmp/pw && chmod 644 /tmp/pw
runuser -u ponyci-db -- "$bin/initdb" -D "$template/data" -U ponyci --pwfile=/tmp/pw \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync --wal-segsize=1 >/dev/null
rm -f /tmp/pw
# Password logins from the pod's loopback only (there is nothing else).
printf 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\nhost all all ::1/128 scram-sha-256\n' > "$template/data/pg_hba.conf"
runuser -u ponyci-db -- "$bin/pg_ctl" -D "$template/data" -s -w \
  -o "-c listen_addresses='' -c unix_socket_directories=/tmp -c fsync=off" start
runuser -u ponyci-db -- "$bin/createdb" -h /tmp -U ponyci ponyci
runuser -u ponyci-db -- "$bin/pg_ctl" -D "$template/data" -s -w -m fast stop

cp /opt/ponyci/setup/entrypoint-postgres.sh /opt/ponyci/entrypoint.sh
chmod 755 /opt/ponyci/entrypoint.sh
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /usr/share/doc/* /usr/share/man/*
