package dev.modelfleet.server.agentapi;

import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.jboss.logging.Logger;

/**
 * Every refused Enroll, counted by reason (a stable code: {@code rate-limited}, or the gRPC status
 * the refusal carried, e.g. {@code PERMISSION_DENIED}) and logged: the first refusal of a reason in
 * each minute in full, then one line a minute with how many followed. A flood of enrollments or of
 * bad tokens cannot flood the log, and no refusal goes unseen.
 */
@ApplicationScoped
public class EnrollmentRefusals {

  static final String RATE_LIMITED = "rate-limited";

  private static final Logger LOG = Logger.getLogger(EnrollmentRefusals.class);
  private static final long WINDOW_NANOS = 60_000_000_000L;

  private final Map<String, LongAdder> totals = new ConcurrentHashMap<>();
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  void refused(String reason, String detail) {
    totals.computeIfAbsent(reason, r -> new LongAdder()).increment();
    long now = System.nanoTime();
    Window window = windows.computeIfAbsent(reason, r -> new Window());
    long suppressed;
    synchronized (window) {
      if (window.startedNanos != 0 && now - window.startedNanos < WINDOW_NANOS) {
        window.suppressed++;
        return;
      }
      suppressed = window.suppressed;
      window.startedNanos = now;
      window.suppressed = 0;
    }
    LOG.infof(
        "enrollment refused (%s): %s%s",
        reason,
        detail,
        suppressed > 0
            ? " (" + suppressed + " more refused for this reason in the last minute)"
            : "");
  }

  void refused(Status status) {
    refused(status.getCode().name(), String.valueOf(status.getDescription()));
  }

  /** Refusals since start, by reason. */
  public Map<String, Long> totals() {
    Map<String, Long> sums = new TreeMap<>();
    totals.forEach((reason, count) -> sums.put(reason, count.sum()));
    return sums;
  }

  private static final class Window {
    long startedNanos;
    long suppressed;
  }
}
