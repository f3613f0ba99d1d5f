#!/usr/bin/env bash
# Backs up a ModelFleet server the way docs/operations.md ("Backups") says: the database with
# pg_dump first, then the artifact store and the key directory, into one new folder.
#
# Usage: deploy/server/backup.sh DESTINATION
#   with the server's own settings in the environment, as the server's user, e.g.
#   sudo -u modelfleet sh -c 'set -a; . /etc/modelfleet/server.env; set +a;
#     /opt/modelfleet/deploy/backup.sh /var/backups/modelfleet/$(date +%F)'
#
# Reads QUARKUS_DATASOURCE_JDBC_URL (the database), QUARKUS_FLYWAY_USERNAME and
# QUARKUS_FLYWAY_PASSWORD (the owner role dumps it), MODELFLEET_KEY_DIR, MODELFLEET_ARTIFACT_DIR
# and MODELFLEET_ARTIFACT_STORE_TYPE (with s3 the bucket is not copied: back it up with the
# bucket's own versioning or replication). PG_BIN: the folder of pg_dump when the one on the PATH
# is older than the PostgreSQL server (pg_dump refuses a newer server).
#
# Writes DESTINATION (which must not exist) owner-only: database.dump (pg_dump's custom
# format), artifacts.tar, keys.tar and SHA256SUMS. keys.tar holds the signing keys and the fleet
# CA's key: whoever reads it can sign models for your fleet. Store it encrypted.
# deploy/server/restore.sh restores such a folder. SHA256SUMS comes last: a folder without it is
# a backup that failed half-way, and restore.sh refuses it.
set -euo pipefail

fail() { echo "backup: $*" >&2; exit 1; }
[ $# -eq 1 ] || fail "usage: backup.sh DESTINATION (a folder that does not exist yet)"
destination=$1
[ -n "${QUARKUS_DATASOURCE_JDBC_URL:-}" ] || fail "set the server's settings in the environment (see the top of this script)"
[ -n "${QUARKUS_FLYWAY_USERNAME:-}" ] || fail "QUARKUS_FLYWAY_USERNAME (the owner role) is not set"
[ -n "${QUARKUS_FLYWAY_PASSWORD:-}" ] || fail "QUARKUS_FLYWAY_PASSWORD is not set"
[ -n "${MODELFLEET_KEY_DIR:-}" ] || fail "MODELFLEET_KEY_DIR is not set"
store_type=${MODELFLEET_ARTIFACT_STORE_TYPE:-filesystem}
if [ "$store_type" = filesystem ]; then
  [ -n "${MODELFLEET_ARTIFACT_DIR:-}" ] || fail "MODELFLEET_ARTIFACT_DIR is not set"
  [ -d "$MODELFLEET_ARTIFACT_DIR" ] || fail "no artifact store at $MODELFLEET_ARTIFACT_DIR"
fi
[ -d "$MODELFLEET_KEY_DIR" ] || fail "no key directory at $MODELFLEET_KEY_DIR"
[ ! -e "$destination" ] || fail "$destination exists already; give a new folder"
pg_bin=${PG_BIN:+$PG_BIN/}

# libpq reads the JDBC address without its "jdbc:" and the JDBC-only query parameters
database_uri=${QUARKUS_DATASOURCE_JDBC_URL#jdbc:}
database_uri=${database_uri%%\?*}

umask 077
mkdir -p "$destination"
# The dump first: an artifact or key newer than the dump does no harm, a dump newer than the
# copies could name an artifact they lack (artifacts are written once, under their sha256).
PGUSER=$QUARKUS_FLYWAY_USERNAME PGPASSWORD=$QUARKUS_FLYWAY_PASSWORD \
  "${pg_bin}pg_dump" --format=custom --file="$destination/database.dump" "$database_uri"
if [ "$store_type" = filesystem ]; then
  tar -C "$MODELFLEET_ARTIFACT_DIR" -cf "$destination/artifacts.tar" .
else
  echo "backup: artifacts are in object storage ($store_type): not copied" >&2
fi
tar -C "$MODELFLEET_KEY_DIR" -cf "$destination/keys.tar" .
(cd "$destination" && sha256sum -- * > SHA256SUMS)
echo "backup: wrote $destination ($(du -sh "$destination" | cut -f1)); keys.tar is secret" >&2
