#!/usr/bin/env bash
# Restores a folder deploy/server/backup.sh wrote, the way docs/operations.md ("Restore") says:
# the database into an empty one, the artifact store and the key directory into empty folders.
#
# Usage: deploy/server/restore.sh BACKUP
#   with the settings of the server that is to run on the restored state in the environment, as
#   the server's user, every replica stopped, e.g.
#   sudo -u modelfleet sh -c 'set -a; . /etc/modelfleet/server.env; set +a;
#     /opt/modelfleet/deploy/restore.sh /var/backups/modelfleet/2026-12-06'
#
# Reads the same settings as backup.sh. The database QUARKUS_DATASOURCE_JDBC_URL names must
# exist, belong to QUARKUS_FLYWAY_USERNAME and hold no tables (deploy/server/database.sql makes
# it); MODELFLEET_KEY_DIR and MODELFLEET_ARTIFACT_DIR must be empty or absent. Nothing is
# overwritten: the script refuses instead. Privileges are not restored: the server grants its
# role row access at start (db/migration/afterMigrate.sql), whatever that role is called now.
set -euo pipefail

fail() { echo "restore: $*" >&2; exit 1; }
[ $# -eq 1 ] || fail "usage: restore.sh BACKUP (a folder backup.sh wrote)"
backup=$1
[ -n "${QUARKUS_DATASOURCE_JDBC_URL:-}" ] || fail "set the server's settings in the environment (see the top of this script)"
[ -n "${QUARKUS_FLYWAY_USERNAME:-}" ] || fail "QUARKUS_FLYWAY_USERNAME (the owner role) is not set"
[ -n "${QUARKUS_FLYWAY_PASSWORD:-}" ] || fail "QUARKUS_FLYWAY_PASSWORD is not set"
[ -n "${MODELFLEET_KEY_DIR:-}" ] || fail "MODELFLEET_KEY_DIR is not set"
store_type=${MODELFLEET_ARTIFACT_STORE_TYPE:-filesystem}
if [ "$store_type" = filesystem ]; then
  [ -n "${MODELFLEET_ARTIFACT_DIR:-}" ] || fail "MODELFLEET_ARTIFACT_DIR is not set"
  [ -f "$backup/artifacts.tar" ] || fail "$backup has no artifacts.tar"
fi
pg_bin=${PG_BIN:+$PG_BIN/}
database_uri=${QUARKUS_DATASOURCE_JDBC_URL#jdbc:}
database_uri=${database_uri%%\?*}
export PGUSER=$QUARKUS_FLYWAY_USERNAME PGPASSWORD=$QUARKUS_FLYWAY_PASSWORD

[ -f "$backup/SHA256SUMS" ] || fail "$backup has no SHA256SUMS: not a folder backup.sh wrote"
(cd "$backup" && sha256sum --quiet --check SHA256SUMS) || fail "$backup is damaged (SHA256SUMS)"
empty_or_absent() { [ ! -e "$1" ] || [ -z "$(ls -A "$1")" ]; }
empty_or_absent "$MODELFLEET_KEY_DIR" || fail "$MODELFLEET_KEY_DIR is not empty"
if [ "$store_type" = filesystem ]; then
  empty_or_absent "$MODELFLEET_ARTIFACT_DIR" || fail "$MODELFLEET_ARTIFACT_DIR is not empty"
fi
tables=$("${pg_bin}psql" -X -qtA -d "$database_uri" \
  -c "select count(*) from pg_tables where schemaname = current_schema()") ||
  fail "cannot reach the database as $PGUSER (create it with deploy/server/database.sql)"
[ "$tables" = 0 ] || fail "the database holds $tables tables already; restore into an empty one"

"${pg_bin}pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$database_uri" "$backup/database.dump"
umask 077
mkdir -p "$MODELFLEET_KEY_DIR"
tar -C "$MODELFLEET_KEY_DIR" -xf "$backup/keys.tar"
chmod 700 "$MODELFLEET_KEY_DIR"
if [ "$store_type" = filesystem ]; then
  mkdir -p "$MODELFLEET_ARTIFACT_DIR"
  tar -C "$MODELFLEET_ARTIFACT_DIR" -xf "$backup/artifacts.tar"
fi
echo "restore: done; start one replica and check /q/health/ready and /api/v1/trust/root.pem" >&2
