#!/bin/bash
# Runs as root in a trusted `--network host` container made from
# ponyci/python:3.11 (bookworm), by build-service-images.sh: installs
# bookworm's MariaDB 10.11 and bakes an initialised data directory into
# /opt/ponyci/template (user "ponyci"@"%", password "ponyci", all
# privileges so Django can create its test database; database "ponyci").
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold mariadb-server mariadb-client
rm -f /usr/sbin/policy-rc.d
rm -rf /var/lib/mysql/*

groupadd -g 10002 ponyci-db
useradd -u 10002 -g 10002 -d /nonexistent -s /usr/sbin/nologin ponyci-db
template=/opt/ponyci/template
mkdir -p "$template" && chown ponyci-db:ponyci-db "$template"
mariadb-install-db --no-defaults --user=ponyci-db --datadir="$template/data" \
  --auth-root-authentication-method=socket --skip-test-db --innodb-log-file-size=8M >/dev/null
mariadbd --no-defaults --user=ponyci-db --datadir="$template/data" --skip-networking \
  --socket=/tmp/mysqld.sock --pid-file=/tmp/mysqld.pid --skip-log-bin --innodb-log-file-size=8M &
for _ in $(seq 100); do mariadb-admin --no-defaults --socket=/tmp/mysqld.sock -u root ping >/dev/null 2>&1 && break; sleep 0.2; done
mariadb --no-defaults --socket=/tmp/mysqld.sock -u root <<'SQL'
CREATE USER 'ponyci'@'%' IDENTIFIED BY 'ponyci';
GRANT ALL PRIVILEGES ON *.* TO 'ponyci'@'%' WITH GRANT OPTION;
CREATE DATABASE ponyci CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
FLUSH PRIVILEGES;
SQL
mariadb-admin --no-defaults --socket=/tmp/mysqld.sock -u root shutdown
wait
chown -R ponyci-db:ponyci-db "$template"

cp /opt/ponyci/setup/entrypoint-mariadb.sh /opt/ponyci/entrypoint.sh
chmod 755 /opt/ponyci/entrypoint.sh
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /usr/share/doc/* /usr/share/man/*
