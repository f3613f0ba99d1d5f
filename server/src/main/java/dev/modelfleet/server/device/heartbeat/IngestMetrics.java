package dev.modelfleet.server.device.heartbeat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Heartbeat ingest for Prometheus: receipt to commit as a histogram ({@code
 * modelfleet_heartbeat_ingest_latency_seconds}), the queue depth, and heartbeats received, written
 * and dropped. Unlike {@link IngestStats} these are never reset: Prometheus wants counters that
 * only grow.
 */
final class IngestMetrics {

  private final Timer receiptToCommit;
  private final Counter received;
  private final Counter written;
  private final Counter dropped;
  private final Counter failedFlushes;

  IngestMetrics(MeterRegistry registry, Supplier<Number> queueDepth) {
    receiptToCommit =
        Timer.builder("modelfleet.heartbeat.ingest.latency")
            .description("From receiving a heartbeat to committing it to PostgreSQL")
            .serviceLevelObjectives(
                Duration.ofMillis(10),
                Duration.ofMillis(25),
                Duration.ofMillis(50),
                Duration.ofMillis(100),
                Duration.ofMillis(250),
                Duration.ofMillis(500),
                Duration.ofSeconds(1),
                Duration.ofMillis(2500),
                Duration.ofSeconds(5),
                Duration.ofSeconds(10))
            .register(registry);
    Gauge.builder("modelfleet.heartbeat.ingest.queue.depth", queueDepth)
        .description("Devices whose latest heartbeat waits to be written")
        .register(registry);
    received = counter(registry, "received", "Heartbeats received from agents");
    written = counter(registry, "written", "Heartbeats committed to PostgreSQL");
    dropped = counter(registry, "dropped", "Heartbeats dropped because the ingest buffer was full");
    failedFlushes =
        Counter.builder("modelfleet.heartbeat.ingest.failed.flushes")
            .description("Heartbeat batches whose transaction failed (they are retried)")
            .register(registry);
  }

  private static Counter counter(MeterRegistry registry, String what, String description) {
    return Counter.builder("modelfleet.heartbeats." + what)
        .description(description)
        .register(registry);
  }

  void received(HeartbeatBuffer.Outcome outcome) {
    received.increment();
    if (outcome == HeartbeatBuffer.Outcome.DROPPED_FULL) {
      dropped.increment();
    }
  }

  void written(Iterable<PendingHeartbeat> heartbeats, long commitNanos) {
    int n = 0;
    for (PendingHeartbeat heartbeat : heartbeats) {
      receiptToCommit.record(commitNanos - heartbeat.receivedNanos(), TimeUnit.NANOSECONDS);
      n++;
    }
    written.increment(n);
  }

  void failedFlush() {
    failedFlushes.increment();
  }
}
