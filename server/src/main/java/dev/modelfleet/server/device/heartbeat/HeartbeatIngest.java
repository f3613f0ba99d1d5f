package dev.modelfleet.server.device.heartbeat;

import dev.modelfleet.server.device.InstalledModelInfo;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Heartbeats at fleet scale: tens of thousands of devices at one heartbeat every 15 s is thousands
 * a second, too many for a transaction each. They are kept in memory, latest per device, and
 * written every flush interval in batches of one transaction each.
 */
@ApplicationScoped
public class HeartbeatIngest {

  private static final Logger LOG = Logger.getLogger(HeartbeatIngest.class);
  private static final int BATCH = 5_000;
  // log a failure streak at its start and then now and then, not five times a second
  private static final int LOG_EVERY_NTH_FAILURE = 50;

  private final HeartbeatWriter writer;
  private final Clock clock;
  private final Duration interval;
  private final HeartbeatBuffer buffer;

  /**
   * Heartbeats a device made while offline and sent late, in the order received (a device sends its
   * own oldest first). Not coalesced: each is a point of the device's health history. At most
   * heartbeatMaxPending wait; beyond that they are dropped and counted.
   */
  private final Deque<PendingHeartbeat> backdated = new ConcurrentLinkedDeque<>();

  private final AtomicInteger backdatedWaiting = new AtomicInteger();
  private final int maxPending;
  private final IngestStats stats = new IngestStats();
  private final IngestMetrics metrics;
  private final Object flushLock = new Object();
  private ScheduledExecutorService scheduler;
  private int failuresInARow;

  HeartbeatIngest(
      HeartbeatWriter writer, Clock clock, HeartbeatIngestConfig config, MeterRegistry registry) {
    this.writer = writer;
    this.clock = clock;
    this.interval = config.heartbeatFlushInterval();
    this.buffer = new HeartbeatBuffer(config.heartbeatMaxPending());
    this.maxPending = config.heartbeatMaxPending();
    this.metrics = new IngestMetrics(registry, buffer::size);
  }

  void start(@Observes StartupEvent started) {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "heartbeat-flush");
              thread.setDaemon(true);
              return thread;
            });
    long periodMs = Math.max(1, interval.toMillis());
    scheduler.scheduleWithFixedDelay(this::flushQuietly, periodMs, periodMs, TimeUnit.MILLISECONDS);
  }

  /** Writes what is still waiting, so a clean shutdown loses no heartbeat. */
  void stop(@Observes ShutdownEvent stopping) throws InterruptedException {
    if (scheduler != null) {
      scheduler.shutdown();
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    }
    flushQuietly();
  }

  /**
   * Queues a heartbeat; it reaches the database within the flush interval (20 ms after the previous
   * flush by default). {@code sentAtMs} is the device's clock at sending, 0 when unknown; {@code
   * agentVersion} the release the agent names, null or empty when it names none.
   */
  public void heartbeat(
      UUID deviceId,
      long sentAtMs,
      List<InstalledModelInfo> installed,
      List<ModelHealthInfo> health,
      String agentVersion) {
    accept(
        new PendingHeartbeat(
            deviceId,
            clock.instant(),
            System.nanoTime(),
            sentAtMs,
            installed,
            health,
            agentVersion == null || agentVersion.isEmpty() ? null : agentVersion));
  }

  /**
   * Queues a heartbeat the device made {@code queuedForMs} before sending it (Heartbeat
   * queued_for_ms): its figures are dated that long before now, by this server's clock, so the
   * device's clock offset does not matter, and never later than now. It touches neither last seen
   * nor the installed models (the Hello of the stream it came on said those), and its figures
   * replace a model version's stored ones only when they are newer (reported_at), as a live
   * heartbeat's do; the console's health history gets a sample at its time.
   */
  public void backdated(UUID deviceId, long queuedForMs, List<ModelHealthInfo> health) {
    if (health.isEmpty()) {
      return;
    }
    if (backdatedWaiting.incrementAndGet() > maxPending) {
      backdatedWaiting.decrementAndGet();
      stats.received(HeartbeatBuffer.Outcome.DROPPED_FULL);
      metrics.received(HeartbeatBuffer.Outcome.DROPPED_FULL);
      return;
    }
    java.time.Instant made = clock.instant().minusMillis(Math.max(0, queuedForMs));
    backdated.addLast(
        new PendingHeartbeat(deviceId, made, System.nanoTime(), 0, List.of(), health, null));
  }

  void accept(PendingHeartbeat heartbeat) {
    HeartbeatBuffer.Outcome outcome = buffer.offer(heartbeat);
    stats.received(outcome);
    metrics.received(outcome);
  }

  public IngestSnapshot stats() {
    return stats.snapshot(buffer.size());
  }

  public void resetStats() {
    stats.reset();
  }

  /**
   * Writes everything waiting now, in batches. A failed batch goes back into the buffer (under any
   * newer heartbeat of the same device) for the next round.
   */
  public void flush() throws SQLException {
    synchronized (flushLock) {
      // late heartbeats first: a live one of the same device is newer
      flushBackdated();
      // deferred heartbeats go back into the buffer; counting rounds up front keeps a flush
      // from picking them up again and again while their devices stay locked
      int rounds = (buffer.size() + BATCH - 1) / BATCH;
      for (int round = 0; round < rounds; round++) {
        List<PendingHeartbeat> batch = buffer.drain(BATCH);
        if (batch.isEmpty()) {
          return;
        }
        long start = System.nanoTime();
        HeartbeatWriter.Result result;
        try {
          result = writer.write(batch);
        } catch (SQLException | RuntimeException e) {
          stats.replaced(buffer.restore(batch));
          stats.failedFlush();
          metrics.failedFlush();
          throw e;
        }
        long committed = System.nanoTime();
        stats.flushed(result.written(), clock.millis(), committed, (committed - start) / 1_000);
        metrics.written(result.written(), committed);
        stats.replaced(buffer.restore(result.deferred()));
      }
    }
  }

  /**
   * Writes the late heartbeats waiting now, each device's in the order they came. Those of devices
   * another transaction holds go back to wait, in order, ahead of any that came since.
   */
  private void flushBackdated() throws SQLException {
    int waiting = backdatedWaiting.get();
    if (waiting == 0) {
      return;
    }
    List<PendingHeartbeat> batch = new java.util.ArrayList<>(Math.min(waiting, BATCH));
    while (batch.size() < BATCH) {
      PendingHeartbeat next = backdated.pollFirst();
      if (next == null) {
        break;
      }
      batch.add(next);
    }
    backdatedWaiting.addAndGet(-batch.size());
    List<PendingHeartbeat> deferred;
    try {
      deferred = writer.writeBackdated(batch);
    } catch (SQLException | RuntimeException e) {
      deferred = batch;
      putBack(deferred);
      throw e;
    }
    putBack(deferred);
  }

  private void putBack(List<PendingHeartbeat> unwritten) {
    for (int i = unwritten.size() - 1; i >= 0; i--) {
      backdated.addFirst(unwritten.get(i));
    }
    backdatedWaiting.addAndGet(unwritten.size());
  }

  private void flushQuietly() {
    try {
      flush();
      if (failuresInARow > 0) {
        LOG.infof("heartbeat flush works again after %d failed rounds", failuresInARow);
        failuresInARow = 0;
      }
    } catch (Exception e) {
      if (failuresInARow++ % LOG_EVERY_NTH_FAILURE == 0) {
        LOG.warnf(
            e,
            "heartbeat flush failed (%d rounds in a row); %d devices' heartbeats wait for the next round",
            failuresInARow,
            buffer.size());
      }
    }
  }
}
