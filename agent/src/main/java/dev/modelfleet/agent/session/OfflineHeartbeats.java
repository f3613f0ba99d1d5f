package dev.modelfleet.agent.session;

import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Heartbeats made while no session is open, one per offline interval (the caller's clock), kept in
 * the state directory and sent once after the next session opened, oldest first, each with its
 * original time, so the server's health history shows how the models did while the site was cut
 * off. A heartbeat holds the figures since the agent started, so the newest ones say the most: past
 * {@code maxCount} heartbeats or {@code maxBytes} serialized bytes the oldest go first.
 *
 * <p>Delivered at most once: a heartbeat is telemetry, and the live heartbeats that follow say the
 * same again for the present. One lost with a stream that broke is not resent.
 */
public final class OfflineHeartbeats {

  public static final String FILE = "offline-heartbeats.pb";

  /** A day at the default interval of 5 minutes. */
  public static final int DEFAULT_MAX_COUNT = 288;

  public static final int DEFAULT_MAX_BYTES = 256 * 1024;

  private static final Logger LOG = Logger.getLogger("modelfleet.sync");

  private final Path file;
  private final int maxCount;
  private final int maxBytes;
  private final Deque<Heartbeat> queued = new ArrayDeque<>();
  private long bytes;

  public OfflineHeartbeats(Path stateDir, int maxCount, int maxBytes) {
    this.file = stateDir.resolve(FILE);
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
    if (Files.exists(file)) {
      try (InputStream in = Files.newInputStream(file)) {
        Heartbeat beat;
        while ((beat = Heartbeat.parseDelimitedFrom(in)) != null) {
          keep(beat);
        }
      } catch (IOException e) {
        LOG.warning("offline heartbeats in " + file + " unreadable, dropped: " + e.getMessage());
      }
    }
  }

  /**
   * Runs {@code tick} every {@code intervalMs}: it keeps a heartbeat here when no session is open
   * ({@link SyncSession#keepHeartbeatIfOffline}, or {@link #add} on a device with no server). Close
   * the result to stop.
   */
  public static AutoCloseable record(Runnable tick, long intervalMs) {
    ScheduledExecutorService ticks =
        Executors.newSingleThreadScheduledExecutor(SyncSession.daemon("offline-heartbeat"));
    ticks.scheduleAtFixedRate(
        () -> {
          try {
            tick.run();
          } catch (RuntimeException e) {
            // a failing probe must not end offline heartbeats for good
            LOG.log(Level.WARNING, "could not make an offline heartbeat", e);
          }
        },
        intervalMs,
        intervalMs,
        TimeUnit.MILLISECONDS);
    return ticks::shutdownNow;
  }

  /** Keeps a heartbeat made now, with no session open. */
  public synchronized void add(Heartbeat beat) {
    keep(beat);
    persist();
  }

  private void keep(Heartbeat beat) {
    queued.addLast(beat);
    bytes += beat.getSerializedSize();
    while (!queued.isEmpty() && (queued.size() > maxCount || bytes > maxBytes)) {
      bytes -= queued.removeFirst().getSerializedSize();
    }
  }

  public synchronized int size() {
    return queued.size();
  }

  /**
   * Hands every kept heartbeat to {@code send}, oldest first, with {@code queued_for_ms} set from
   * {@code nowMs} (the device's clock now), and forgets each once sent. When {@code send} throws
   * (the session failed under it), that one and those after it stay for the next session.
   */
  public synchronized void drain(long nowMs, Consumer<Heartbeat> send) {
    if (queued.isEmpty()) {
      return;
    }
    LOG.info("sending " + queued.size() + " heartbeat(s) made while offline");
    try {
      while (!queued.isEmpty()) {
        Heartbeat beat = queued.peekFirst();
        send.accept(
            beat.toBuilder().setQueuedForMs(Math.max(1, nowMs - beat.getSentAtMs())).build());
        bytes -= queued.removeFirst().getSerializedSize();
      }
    } finally {
      persist();
    }
  }

  private void persist() {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (Heartbeat beat : queued) {
        beat.writeDelimitedTo(out);
      }
      SecureFiles.writeAtomically(file, out.toByteArray());
    } catch (IOException e) {
      LOG.warning("cannot persist offline heartbeats to " + file + ": " + e.getMessage());
    }
  }
}
