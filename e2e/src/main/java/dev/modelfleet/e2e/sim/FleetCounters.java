package dev.modelfleet.e2e.sim;

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
}
