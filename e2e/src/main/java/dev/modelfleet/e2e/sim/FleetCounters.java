package dev.modelfleet.e2e.sim;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fleet-wide tallies that devices bump as events happen. Counts of devices in a state (connected,
 * active, failed) are not kept here: they are read off the devices themselves when a snapshot is
 * taken, so no event can be counted twice or forgotten.
 */
final class FleetCounters {

  final LongAdder enrolled = new LongAdder();
  final LongAdder enrollFailed = new LongAdder();
  final LongAdder heartbeats = new LongAdder();

  /**
   * Every failed Enroll attempt by reason (the gRPC status code, or what refused the root
   * metadata): the retried ones and the final refusals alike, so no enrollment failure goes
   * uncounted.
   */
  final Map<String, LongAdder> enrollAttemptsFailed = new ConcurrentHashMap<>();

  /** Devices given up on, by the reason of their last attempt. */
  final Map<String, LongAdder> enrollRefused = new ConcurrentHashMap<>();

  /** Downloads started, and those that transferred in full over each path. */
  final LongAdder downloads = new LongAdder();

  final LongAdder httpDownloads = new LongAdder();
  final LongAdder grpcDownloads = new LongAdder();

  /** HTTP transfers that failed and were retried over gRPC (download path auto). */
  final LongAdder httpFallbacks = new LongAdder();

  final LongAdder bytesDownloaded = new LongAdder();
  final LongAdder reconnects = new LongAdder();

  /** Reconnects that moved to another server address. */
  final LongAdder failovers = new LongAdder();

  static void count(Map<String, LongAdder> byReason, String reason) {
    byReason.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  static Map<String, Long> sums(Map<String, LongAdder> byReason) {
    Map<String, Long> sums = new TreeMap<>();
    byReason.forEach((reason, count) -> sums.put(reason, count.sum()));
    return sums;
  }
}
