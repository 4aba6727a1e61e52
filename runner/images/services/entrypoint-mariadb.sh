#!/bin/sh
# Entry point of ponyci/mariadb: a fresh copy of the baked data directory on
# the tmpfs at /run/db, then the server on 127.0.0.1:3306 with durability off
# (a test database). Arguments are extra server options (`--name=value`,
# validated by the runner); later options win, so they override these.
set -eu
cp -a /opt/ponyci/template/data /run/db/data
exec mariadbd --no-defaults --datadir=/run/db/data --socket=/run/db/mysqld.sock \
  --pid-file=/run/db/mysqld.pid --tmpdir=/run/db --bind-address=127.0.0.1 --port=3306 \
  --skip-log-bin --skip-name-resolve --innodb-flush-log-at-trx-commit=0 \
  --innodb-doublewrite=0 --sync-binlog=0 --innodb-use-native-aio=0 \
  --innodb-buffer-pool-size=128M --innodb-log-file-size=8M --character-set-server=utf8mb4 \
  --collation-server=utf8mb4_unicode_ci --log-warnings=1 \
  "$@"
