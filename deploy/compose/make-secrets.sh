#!/usr/bin/env bash
# Writes the secrets of the compose stack (beside compose.yaml) or, given a folder, there (the
# Kubernetes dev overlay reads the same files): random, readable by their owner only.
#   admin.env      MODELFLEET_ADMIN_TOKEN (64 hex characters)
#   database.env   QUARKUS_DATASOURCE_PASSWORD, QUARKUS_FLYWAY_PASSWORD (the two database roles)
#   grafana-admin-password
# Keeps files that exist: the database volume holds the passwords it was created with.
set -euo pipefail
cd "${1:-$(dirname "$0")}"
umask 077
random() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
# write FILE CONTENT: only when FILE is missing or empty
write() {
  if [ -s "$1" ]; then echo "make-secrets: keeping $1"; return; fi
  printf '%s\n' "$2" >"$1"
  echo "make-secrets: wrote $1"
}
write admin.env "MODELFLEET_ADMIN_TOKEN=$(random 32)"
write database.env "QUARKUS_DATASOURCE_PASSWORD=$(random 24)
QUARKUS_FLYWAY_PASSWORD=$(random 24)"
write grafana-admin-password "$(random 16)"
