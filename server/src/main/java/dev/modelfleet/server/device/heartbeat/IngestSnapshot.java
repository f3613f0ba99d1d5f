package dev.modelfleet.server.device.heartbeat;

import java.time.Instant;

/**
 * Heartbeat ingest figures of this replica. Latencies in milliseconds: {@code p50Ms}, {@code p99Ms}
 * and {@code maxMs} from the device's sent_at_ms to our commit (includes the network and any clock
 * difference between device and server); the receiptToCommit ones from the moment this server read
 * the heartbeat to the commit (the buffering and the write).
 */
public record IngestSnapshot(
    Instant since,
    long heartbeatsReceived,
    long heartbeatsFlushed,
    long heartbeatsReplaced,
    long heartbeatsDropped,
    long flushes,
    long failedFlushes,
    double lastFlushMs,
    int queueDepth,
    double p50Ms,
    double p99Ms,
    double maxMs,
    double receiptToCommitP50Ms,
    double receiptToCommitP99Ms,
    double receiptToCommitMaxMs) {}
