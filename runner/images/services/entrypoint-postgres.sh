#!/bin/sh
# Entry point of ponyci/postgres: a fresh copy of the baked cluster on the
# tmpfs at /run/db, then the server on 127.0.0.1:5432 with durability off (a
# test database). Arguments are extra server settings (`-c name=value`,
# validated by the runner); later settings win, so they override these.
set -eu
cp -a /opt/ponyci/template/data /run/db/data
chmod 700 /run/db/data
exec /usr/lib/postgresql/15/bin/postgres -D /run/db/data \
  -c listen_addresses=127.0.0.1 -c port=5432 -c unix_socket_directories=/run/db \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c wal_level=minimal -c max_wal_senders=0 -c archive_mode=off -c min_wal_size=2MB -c max_wal_size=64MB \
  -c shared_buffers=128MB -c max_connections=100 -c log_min_messages=warning \
  "$@"
