#!/usr/bin/env bash
# Runs the benchmarks of docs/benchmarks.md: builds, makes sure PostgreSQL runs (database
# modelfleet_bench, recreated), then drives the packaged server and agent.
# Usage: e2e/bench.sh [sections...]   (server agent download download-mtls hardware rollout ingest tls
# cli-push cli-watch; all by default. The report goes to standard output, progress to standard
# error.) Long ones, run only when named: rollout-fleet (1,000 x 10 MB rollouts, filesystem and
# S3Proxy stores, interleaved with the --fleet baselines: ~15 min), scale (50,000 devices joined,
# held 10 minutes, then a 1 MB rollout to all: ~40 min), quantization (~15 min on 2 cores): runs
# QdqBenchmark in the server's tests: int8-qdq per calibration method, mixed precision,
# int8-dynamic, int8-static and fp16 against fp32 at 1 and 2 threads; it needs no database.
# shadow (~3 min, only when named): live latency with shadowing at 0/10/100 % sampling in
# interleaved rounds, the agent's extra RSS with a shadow loaded, time to a shadow verdict.
# bundle (~5 min): offline bundles of a ~100 MB model, create vs downloading the same artifact,
# import-bundle vs cp of the bundle, interleaved rounds (BundleBench; database modelfleet_bench).
# selfupdate (~5 min, only when named): one agent under its launcher updates itself to the build's
# jar as a newer release, MODELFLEET_BENCH_SELFUPDATE_ROUNDS times (3) while a client calls a
# ~5 MB model: download+verify, serving gap and its parts, then a broken release's revert.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" quantization "* ]]; then
  ./mvnw -B -q -ntp -pl server -am test -Dtest=QdqBenchmark -Dbench=true \
    -Dsurefire.failIfNoSpecifiedTests=false
  rest=()
  for section in "$@"; do
    [[ "$section" == quantization ]] || rest+=("$section")
  done
  [[ ${#rest[@]} -eq 0 ]] && exit 0
  set -- "${rest[@]}"
fi
bash deploy/dev/ensure-postgres.sh --recreate modelfleet_bench
if [[ " $* " == *" bundle "* ]]; then
  ./mvnw -B -q -ntp -DskipTests package
  java -cp "e2e/target/modelfleet-e2e.jar:agent/target/modelfleet-agent.jar" \
    dev.modelfleet.e2e.bench.BundleBench modelfleet_bench "${MODELFLEET_BENCH_BUNDLE_ROUNDS:-3}"
  rest=()
  for section in "$@"; do
    [[ "$section" == bundle ]] || rest+=("$section")
  done
  [[ ${#rest[@]} -eq 0 ]] && exit 0
  set -- "${rest[@]}"
  bash deploy/dev/ensure-postgres.sh --recreate modelfleet_bench
fi
./mvnw -B -q -ntp -DskipTests package
exec java -cp "e2e/target/modelfleet-e2e.jar:agent/target/modelfleet-agent.jar" \
  dev.modelfleet.e2e.bench.Benchmarks modelfleet_bench "$@"
