#!/usr/bin/env bash
# The ModelFleet demo: builds the project, makes sure PostgreSQL is there, starts the server
# and two agents, publishes a model, rolls it out to both, calls each agent's inference API,
# and stops everything it started.
# Usage: deploy/demo/run.sh [path/to/model.onnx]   (default: the project's sample classifier)
set -euo pipefail
cd "$(dirname "$0")/../.."
model=()
if [ $# -gt 0 ]; then model=("$(realpath "$1")"); fi

echo "==> making sure PostgreSQL runs (database modelfleet_demo, recreated)"
bash deploy/dev/ensure-postgres.sh --recreate modelfleet_demo
echo "==> building (./mvnw package, tests skipped; the first build downloads dependencies)"
./mvnw -B -q -ntp -DskipTests package
exec java -cp "e2e/target/modelfleet-e2e.jar:agent/target/modelfleet-agent.jar" \
  dev.modelfleet.e2e.Demo "${model[@]}"
