#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 and that ModelFleet's databases
# exist. Installs PostgreSQL from the distribution's packages when it is missing (needs root),
# starts the cluster when it is down, and sets up the two roles the dev and test configuration
# uses, so a fresh Debian/Ubuntu machine works without editing: postgres (password "postgres")
# owns the schema and runs the migrations, modelfleet_app (password "modelfleet_app") is the
# server's own role, which may only read and write rows. Production makes its own roles with
# deploy/server/database.sql.
# Usage: deploy/dev/ensure-postgres.sh [--recreate] [DATABASE...]
#        (default: modelfleet modelfleet_test modelfleet_e2e; --recreate drops the named databases first)
set -euo pipefail

recreate=false
if [ "${1:-}" = "--recreate" ]; then recreate=true; shift; fi
databases=("$@")
[ ${#databases[@]} -gt 0 ] || databases=(modelfleet modelfleet_test modelfleet_e2e)

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sudo -u postgres sh -c "$*"; fi
}
answers() { psql -h 127.0.0.1 -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1 ||
  as_postgres "psql -d postgres -tAc 'select 1'" >/dev/null 2>&1; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "ensure-postgres: PostgreSQL is not installed; installing it with apt-get" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi

if ! answers; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "ensure-postgres: starting PostgreSQL $version" >&2
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
    as_root pg_ctlcluster "$version" main start
  for _ in $(seq 50); do answers && break; sleep 0.2; done
fi
answers || { echo "ensure-postgres: PostgreSQL does not answer on 127.0.0.1:5432; see /var/log/postgresql" >&2; exit 1; }

# Password auth (the Debian default for TCP) must accept the configured credentials.
as_postgres "psql -d postgres -qtAc \"alter role postgres password 'postgres'\"" >/dev/null
as_postgres "psql -d postgres -qtA -v ON_ERROR_STOP=1" >/dev/null <<'SQL'
do $$
begin
    if not exists (select from pg_roles where rolname = 'modelfleet_app') then
        create role modelfleet_app login;
    end if;
end
$$;
alter role modelfleet_app password 'modelfleet_app';
SQL

for db in "${databases[@]}"; do
  if $recreate; then as_postgres "dropdb --if-exists --force '$db'"; fi
  if ! as_postgres "psql -d postgres -tAc \"select 1 from pg_database where datname='$db'\"" | grep -q 1; then
    as_postgres "createdb '$db'"
    echo "ensure-postgres: created database $db" >&2
  fi
done
echo "ensure-postgres: PostgreSQL ready on 127.0.0.1:5432 (databases: ${databases[*]})" >&2
