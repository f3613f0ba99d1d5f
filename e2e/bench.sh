#!/usr/bin/env bash
# Runs the benchmarks of docs/benchmarks.md: builds, makes sure PostgreSQL runs (database
# modelfleet_bench, recreated), then drives the packaged server and agent.
# Usage: e2e/bench.sh [sections...]   (server agent download download-mtls hardware rollout ingest tls
# cli-push cli-watch; all by default. The report goes to standard output, progress to standard
# error.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/dev/ensure-postgres.sh --recreate modelfleet_bench
./mvnw -B -q -ntp -DskipTests package
exec java -cp "e2e/target/modelfleet-e2e.jar:agent/target/modelfleet-agent.jar" \
  dev.modelfleet.e2e.bench.Benchmarks modelfleet_bench "$@"
