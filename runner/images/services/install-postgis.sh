#!/bin/bash
# Runs as root in a trusted `--network host` container made from
# ponyci/python:3.11 (bookworm), by build-service-images.sh: ponyci/postgres's
# recipe (install-postgres.sh) plus bookworm's PostGIS 3 for PostgreSQL 15,
# for GeoDjango's `postgis` backend (Django creates the extension in its test
# database itself; the cell's user is a superuser).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# As install-postgres.sh: no "main" cluster, no service started by apt.
mkdir -p /etc/postgresql-common
echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold postgresql-15 postgresql-15-postgis-3
bash /opt/ponyci/setup/install-postgres.sh
