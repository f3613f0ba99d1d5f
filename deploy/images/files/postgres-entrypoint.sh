#!/bin/sh
# Starts PostgreSQL in the foreground. On the first start (an empty data directory) it creates
# the cluster, then the database and the two roles of deploy/server/database.sql with the
# passwords the server will use. Later starts only run the server: changing the passwords then is
# an ALTER ROLE, as for any PostgreSQL.
set -eu
bin=/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -n 1)/bin
data=${PGDATA:-/var/lib/postgresql/data}

refuse() { echo "modelfleet-postgres: $*" >&2; exit 1; }
usable() {
  case "$1" in
    ''|*change-me*) return 1 ;;
    *) [ ${#1} -ge 16 ] ;;
  esac
}

if [ ! -s "$data/PG_VERSION" ]; then
  usable "${QUARKUS_FLYWAY_PASSWORD:-}" ||
    refuse "set QUARKUS_FLYWAY_PASSWORD (the schema owner's password, 16 characters or more, no example value) for the first start"
  usable "${QUARKUS_DATASOURCE_PASSWORD:-}" ||
    refuse "set QUARKUS_DATASOURCE_PASSWORD (the server role's password, 16 characters or more, no example value) for the first start"
  "$bin/initdb" -D "$data" --username=postgres --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  # only the two roles, over TCP with a password; the superuser stays on the local socket
  printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >>"$data/pg_hba.conf"
  "$bin/pg_ctl" -D "$data" -o "-c listen_addresses='' -k /run/postgresql" -w start >/dev/null
  "$bin/psql" -h /run/postgresql -U postgres -d postgres -q \
    -v owner_password="$QUARKUS_FLYWAY_PASSWORD" -v app_password="$QUARKUS_DATASOURCE_PASSWORD" \
    -v owner="${QUARKUS_FLYWAY_USERNAME:-modelfleet_owner}" \
    -v app="${QUARKUS_DATASOURCE_USERNAME:-modelfleet_app}" \
    -f /usr/share/modelfleet/database.sql >/dev/null
  "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
  echo "modelfleet-postgres: created the database modelfleet and its two roles" >&2
fi
exec "$bin/postgres" -D "$data" -c listen_addresses='*' -k /run/postgresql
