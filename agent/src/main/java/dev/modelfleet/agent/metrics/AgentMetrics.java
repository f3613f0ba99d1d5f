package dev.modelfleet.agent.metrics;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The agent's metrics, served at {@code /metrics} on the local inference port (docs/operations.md,
 * "Agent metrics"). Labels are a model's name and version, a reason code or an execution provider:
 * a device serves few models, so the series stay few.
 */
public final class AgentMetrics {

  /** Seconds; inference on a device runs from well under a millisecond to seconds. */
  private static final double[] LATENCY_BUCKETS = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final Metrics metrics = new Metrics();
  private final Metrics.Counter inferences;
  private final Metrics.Counter inferenceFailures;
  private final Metrics.Histogram inferenceLatency;
  private final Metrics.Counter loads;
  private final Metrics.Counter swaps;
  private final Metrics.Counter downloadedBytes;
  private final Metrics.Counter downloadFailures;
  private final Metrics.Counter refusals;
  private final AtomicLong lastSyncMs = new AtomicLong();
  private final AtomicLong certificateExpiryMs = new AtomicLong();
  private volatile LongSupplier rootExpiryMs = () -> 0;

  public AgentMetrics() {
    inferences =
        metrics.counter(
            "modelfleet_agent_inference_requests_total",
            "Model runs served by the local inference API (failed ones included)",
            "model",
            "version");
    inferenceFailures =
        metrics.counter(
            "modelfleet_agent_inference_failures_total",
            "Model runs that failed in the model (malformed requests are not counted)",
            "model",
            "version");
    inferenceLatency =
        metrics.histogram(
            "modelfleet_agent_inference_latency_seconds",
            "How long successful model runs took (the run only, not HTTP or JSON)",
            LATENCY_BUCKETS,
            "model",
            "version");
    loads =
        metrics.counter(
            "modelfleet_agent_model_loads_total",
            "Models loaded and put in service (at start from disk, or deployed)",
            "model");
    swaps =
        metrics.counter(
            "modelfleet_agent_model_swaps_total",
            "Models that replaced another version in service without dropping a request",
            "model");
    downloadedBytes =
        metrics.counter(
            "modelfleet_agent_download_bytes_total", "Artifact bytes downloaded from the server");
    downloadFailures =
        metrics.counter(
            "modelfleet_agent_download_failures_total",
            "Artifact downloads given up, by reason code",
            "reason");
    refusals =
        metrics.counter(
            "modelfleet_agent_refusals_total",
            "Desired states and models refused, by reason code (signature, rollback, expiry,"
                + " sha256, size, hardware, load or smoke-test failure, ...)",
            "reason");
    metrics.gauge(
        "modelfleet_agent_last_sync_timestamp_seconds",
        "When the server was last heard from on the Sync stream (Unix time; 0: never)",
        () -> lastSyncMs.get() / 1000.0);
    metrics.gauge(
        "modelfleet_agent_certificate_expiry_timestamp_seconds",
        "When this device's TLS certificate expires (Unix time; absent without mutual TLS)",
        () -> certificateExpiryMs.get() == 0 ? Double.NaN : certificateExpiryMs.get() / 1000.0);
    metrics.gauge(
        "modelfleet_agent_root_metadata_expiry_timestamp_seconds",
        "When the root metadata this device trusts expires (Unix time; absent before enrollment)",
        () -> {
          long ms = rootExpiryMs.getAsLong();
          return ms == 0 ? Double.NaN : ms / 1000.0;
        });
    for (String reason : List.of("download-failed", "download-incomplete", "download-too-slow")) {
      downloadFailures.touch(reason);
    }
    for (String reason :
        List.of(
            "signature-invalid",
            "generation-rollback",
            "desired-state-expired",
            "manifest-expired",
            "root-expired",
            "sha256-mismatch")) {
      refusals.touch(reason);
    }
  }

  /** {@code modelfleet_agent_model_info{model,version,provider} 1} for each model in service. */
  public void servedModels(Supplier<List<ServedModelInfo>> served) {
    metrics.gauge(
        "modelfleet_agent_model_info",
        "The models in service: version and the execution provider their session runs on",
        () -> {
          Map<List<String>, Double> series = new LinkedHashMap<>();
          for (ServedModelInfo model : served.get()) {
            series.put(List.of(model.model(), model.version(), model.provider()), 1.0);
          }
          return series;
        },
        "model",
        "version",
        "provider");
  }

  /** What {@link #servedModels} reports of one model. */
  public record ServedModelInfo(String model, String version, String provider) {}

  public void inferenceRan(String model, String version, long nanos) {
    inferences.inc(model, version);
    inferenceFailures.touch(model, version); // at 0 until one fails, so ratios exist
    inferenceLatency.observe(nanos / 1e9, model, version);
  }

  public void inferenceFailed(String model, String version) {
    inferences.inc(model, version);
    inferenceFailures.inc(model, version);
  }

  public void modelLoaded(String model, boolean replacedAnother) {
    loads.inc(model);
    if (replacedAnother) {
      swaps.inc(model);
    } else {
      swaps.touch(model);
    }
  }

  public void downloaded(long bytes) {
    downloadedBytes.add(bytes);
  }

  public void downloadFailed(String reason) {
    downloadFailures.inc(reason);
  }

  public void refused(String reason) {
    refusals.inc(reason);
  }

  /** When the last desired state came from the control plane (ms since the epoch), or 0. */
  public long lastSyncMillis() {
    return lastSyncMs.get();
  }

  public void synced(long nowMs) {
    lastSyncMs.set(nowMs);
  }

  public void certificateExpires(long epochMs) {
    certificateExpiryMs.set(epochMs);
  }

  /** Where the expiry of the root metadata the device trusts now is read (epoch ms). */
  public void rootExpiry(LongSupplier expiresAtMs) {
    this.rootExpiryMs = expiresAtMs;
  }

  /** The exposition for {@code GET /metrics}. */
  public String scrape() {
    return metrics.scrape();
  }
}
