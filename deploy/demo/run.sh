#!/usr/bin/env bash
# The ModelFleet demo: builds the project, makes sure PostgreSQL is there, starts the server
# and two agents, publishes a model, rolls it out to both, calls each agent's inference API,
# and stops everything it started (with --keep-running: after Enter, leaving the server and the
# agents up meanwhile for the command line, as README's quick start does).
# Usage: deploy/demo/run.sh [--keep-running] [path/to/model.onnx]   (default: the project's
# sample classifier)
set -euo pipefail
cd "$(dirname "$0")/../.."
args=()
for arg in "$@"; do
  if [ "$arg" = "--keep-running" ]; then args+=("$arg"); else args+=("$(realpath "$arg")"); fi
done

echo "==> making sure PostgreSQL runs (database modelfleet_demo, recreated)"
bash deploy/dev/ensure-postgres.sh --recreate modelfleet_demo
echo "==> building (./mvnw package, tests skipped; the first build downloads dependencies)"
./mvnw -B -q -ntp -DskipTests package
exec java -cp "e2e/target/modelfleet-e2e.jar:e2e/target/lib/*:agent/target/modelfleet-agent.jar" \
  dev.modelfleet.e2e.Demo "${args[@]}"
