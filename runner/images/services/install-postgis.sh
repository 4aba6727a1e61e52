#!/bin/bash
# Runs as root in a trusted `--network host` container made from
# ponyci/python:3.11 (bookworm), by build-service-images.sh: ponyci/postgres's
# recipe (install-postgres.sh) with bookworm's PostGIS 3 for PostgreSQL 15
# installed beside the server, for GeoDjango's `postgis` backend (Django
# creates the extension in its test database itself; the cell's user is a
# superuser).
set -euo pipefail
PONYCI_PG_EXTRA_PACKAGES="postgresql-15-postgis-3" exec bash /opt/ponyci/setup/install-postgres.sh
