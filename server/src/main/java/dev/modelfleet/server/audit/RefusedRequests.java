package dev.modelfleet.server.audit;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Unauthenticated calls, counted instead of written one by one: anyone who can reach the port can
 * make them, and an entry each would let them grow the database as fast as they can send. Once per
 * window the log gets one entry per source address and status, standing for all the calls counted
 * under it (its {@code count}) and showing the first one's time, method and path. Past the
 * configured number of addresses in a window, further addresses share one entry (address {@value
 * #OTHER_ADDRESSES}), so memory and entries per window stay bounded whatever the traffic. Counts
 * not yet written when the replica stops are written on the way out.
 */
@ApplicationScoped
public class RefusedRequests {

  private static final Logger LOG = Logger.getLogger(RefusedRequests.class);

  /** The address of the entry that counts the calls of addresses past the limit. */
  static final String OTHER_ADDRESSES = "*";

  private record Key(String remoteAddress, int status) {}

  /** The window's first call under a key, and how many there were. */
  private static final class Tally {
    private final AuditEntry first;
    private int count;

    private Tally(AuditEntry first) {
      this.first = first;
    }
  }

  private final AuditLog log;
  private final AuditConfig config;
  private Map<Key, Tally> window = new HashMap<>(); // guarded by this
  private ScheduledExecutorService scheduler;

  RefusedRequests(AuditLog log, AuditConfig config) {
    this.log = log;
    this.config = config;
  }

  void start(@Observes StartupEvent started) {
    if (config.refusalAddresses() < 1 || config.refusalWindow().toMillis() < 1) {
      throw new IllegalArgumentException(
          "modelfleet.audit.refusal-window and"
              + " modelfleet.audit.refusal-addresses must be positive");
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "audit-refusals");
              thread.setDaemon(true);
              return thread;
            });
    long periodMs = config.refusalWindow().toMillis();
    scheduler.scheduleWithFixedDelay(this::flush, periodMs, periodMs, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent stopping) {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
    flush();
  }

  /** Counts one unauthenticated call; writes nothing. */
  void count(AuditEntry call) {
    synchronized (this) {
      Key key = new Key(call.remoteAddress(), call.status());
      Tally tally = window.get(key);
      if (tally == null && window.size() >= config.refusalAddresses()) {
        key = new Key(OTHER_ADDRESSES, call.status());
        tally = window.get(key);
      }
      if (tally == null) {
        tally = new Tally(call.withRemoteAddress(key.remoteAddress()));
        window.put(key, tally);
      }
      if (tally.count < Integer.MAX_VALUE) {
        tally.count++;
      }
    }
  }

  /** Writes the window's entries and starts a new window. */
  void flush() {
    Map<Key, Tally> full;
    synchronized (this) {
      if (window.isEmpty()) {
        return;
      }
      full = window;
      window = new HashMap<>();
    }
    for (Tally tally : full.values()) {
      AuditEntry entry = tally.first.withCount(tally.count);
      try {
        log.append(entry);
      } catch (RuntimeException e) {
        LOG.errorf(
            e,
            "audit entry lost: %d unauthenticated calls from %s, first %s %s",
            entry.count(),
            entry.remoteAddress(),
            entry.method(),
            entry.path());
      }
    }
  }
}
