package dev.modelfleet.server.device.heartbeat;

import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/**
 * What heartbeat ingest did since start or the last reset. Every heartbeat received ends up in
 * exactly one of: flushed, replaced by a newer one of its device before a flush, dropped because
 * the buffer was full, or still queued.
 */
public final class IngestStats {

  private final LongAdder received = new LongAdder();
  private final LongAdder flushed = new LongAdder();
  private final LongAdder replaced = new LongAdder();
  private final LongAdder dropped = new LongAdder();
  private final LongAdder flushes = new LongAdder();
  private final LongAdder failedFlushes = new LongAdder();
  private final LatencyHistogram sentToCommit = new LatencyHistogram();
  private final LatencyHistogram receiptToCommit = new LatencyHistogram();
  private volatile long lastFlushMicros;
  private volatile Instant since = Instant.now();

  void received(HeartbeatBuffer.Outcome outcome) {
    received.increment();
    switch (outcome) {
      case REPLACED_OLDER -> replaced.increment();
      case DROPPED_FULL -> dropped.increment();
      case QUEUED -> {}
    }
  }

  /**
   * {@code commitMs}: wall clock after commit; {@code commitNanos}: monotonic clock after commit.
   */
  void flushed(
      Iterable<PendingHeartbeat> written, long commitMs, long commitNanos, long tookMicros) {
    int n = 0;
    for (PendingHeartbeat heartbeat : written) {
      n++;
      receiptToCommit.record((commitNanos - heartbeat.receivedNanos()) / 1_000);
      // agents before sent_at_ms existed send 0; their latency is unknown, not 55 years
      if (heartbeat.sentAtMs() > 0) {
        sentToCommit.record((commitMs - heartbeat.sentAtMs()) * 1_000);
      }
    }
    flushed.add(n);
    flushes.increment();
    lastFlushMicros = tookMicros;
  }

  /** Heartbeats put back after a flush that found a newer one of their device waiting. */
  void replaced(int n) {
    replaced.add(n);
  }

  void failedFlush() {
    failedFlushes.increment();
  }

  void reset() {
    for (LongAdder counter :
        new LongAdder[] {received, flushed, replaced, dropped, flushes, failedFlushes}) {
      counter.reset();
    }
    sentToCommit.reset();
    receiptToCommit.reset();
    lastFlushMicros = 0;
    since = Instant.now();
  }

  IngestSnapshot snapshot(int queueDepth) {
    return new IngestSnapshot(
        since,
        received.sum(),
        flushed.sum(),
        replaced.sum(),
        dropped.sum(),
        flushes.sum(),
        failedFlushes.sum(),
        millis(lastFlushMicros),
        queueDepth,
        millis(sentToCommit.quantileMicros(0.50)),
        millis(sentToCommit.quantileMicros(0.99)),
        millis(sentToCommit.maxMicros()),
        millis(receiptToCommit.quantileMicros(0.50)),
        millis(receiptToCommit.quantileMicros(0.99)),
        millis(receiptToCommit.maxMicros()));
  }

  private static double millis(long micros) {
    return Math.round(micros / 100.0) / 10.0;
  }
}
