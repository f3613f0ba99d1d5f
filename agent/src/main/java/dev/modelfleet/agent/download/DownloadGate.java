package dev.modelfleet.agent.download;

import dev.modelfleet.protocol.agent.v1.DownloadPolicy;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Enforces the signed download policy on every byte the agent downloads: outside the policy's
 * windows and past the day's byte budget it makes downloads wait (a running one pauses, keeping its
 * partial file, and resumes from there), and it holds the stream to the rate cap with a token
 * bucket. Dates and windows follow the injected {@link Clock}; the rate follows the monotonic
 * clock, so a shifted test clock cannot make the cap lie.
 */
public final class DownloadGate {

  /** Reason codes reported while a download waits for the policy. */
  public static final String WAITING_WINDOW = "waiting_window";

  public static final String WAITING_BUDGET = "waiting_budget";

  /** Longest single sleep: the policy may change or the clock jump meanwhile. */
  private static final long MAX_SLEEP_MS = 1_000;

  private static final Logger LOG = Logger.getLogger(DownloadGate.class.getName());

  /**
   * Why a download may not go on now, and when it may: {@code until} on the policy's clock, {@code
   * untilSystemMs} the same instant on the system clock (what the server is told; they differ only
   * under the test-only clock offset).
   */
  public record Wait(String reasonCode, String reason, Instant until, long untilSystemMs) {
    Wait(String reasonCode, String reason, Instant until) {
      this(reasonCode, reason, until, until.toEpochMilli());
    }
  }

  /** A running download must stop here (window closed, budget spent); it resumes later. */
  static final class PausedException extends IOException {
    final Wait wait;

    PausedException(Wait wait) {
      super(wait.reason());
      this.wait = wait;
    }
  }

  private final Clock clock;
  private final boolean metered;
  private final ZoneId deviceZone;
  private final ByteBudget budget;
  private volatile DownloadPolicy policy = DownloadPolicy.getDefaultInstance();

  private final Object bucketLock = new Object();
  private double tokens;
  private long refilledAtNanos = System.nanoTime();

  /**
   * @param budgetFile where the day's downloaded bytes are kept (null: memory only)
   */
  public DownloadGate(Clock clock, boolean metered, ZoneId deviceZone, Path budgetFile) {
    this.clock = clock;
    this.metered = metered;
    this.deviceZone = deviceZone;
    this.budget = new ByteBudget(budgetFile);
  }

  /** No policy, no budget file: downloads run freely (tests, trials without a policy). */
  public static DownloadGate open() {
    return new DownloadGate(Clock.systemUTC(), false, ZoneId.systemDefault(), null);
  }

  /** The policy of the last accepted desired state (default instance: none). */
  public void apply(DownloadPolicy next) {
    DownloadPolicy previous = policy;
    policy = next;
    if (!previous.equals(next)) {
      LOG.info(
          binds(next)
              ? "download policy " + describe(next)
              : "no download policy binds this device (metered="
                  + metered
                  + (next.getMeteredOnly() ? ", the policy binds metered links only)" : ")"));
    }
  }

  /** The cap in force, bytes per second; 0 when none. */
  public long rateCap() {
    DownloadPolicy p = policy;
    return binds(p) ? p.getRateBytesPerSecond() : 0;
  }

  /** Why a download may not start or go on now; empty when it may. */
  public Optional<Wait> waitNow() {
    DownloadPolicy p = policy;
    if (!binds(p)) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    long skewMs = now.toEpochMilli() - System.currentTimeMillis();
    ZoneId zone = zone(p);
    DownloadWindows windows = new DownloadWindows(p.getWindowsList(), zone);
    if (!windows.open(now)) {
      Instant opens = windows.nextOpening(now).orElse(now);
      return Optional.of(
          new Wait(
              WAITING_WINDOW,
              "outside the download windows of policy "
                  + p.getId()
                  + " ("
                  + zone
                  + "); the next opens at "
                  + opens.atZone(zone).toLocalDateTime(),
              opens,
              opens.toEpochMilli() - skewMs));
    }
    long daily = p.getDailyBudgetBytes();
    LocalDate today = now.atZone(zone).toLocalDate();
    if (daily > 0 && budget.used(today) >= daily) {
      Instant tomorrow = today.plusDays(1).atStartOfDay(zone).toInstant();
      Instant resume = windows.open(tomorrow) ? tomorrow : windows.nextOpening(tomorrow).get();
      return Optional.of(
          new Wait(
              WAITING_BUDGET,
              "the daily download budget of "
                  + daily
                  + " bytes (policy "
                  + p.getId()
                  + ") is spent for "
                  + today
                  + "; downloads go on at "
                  + resume.atZone(zone).toLocalDateTime(),
              resume,
              resume.toEpochMilli() - skewMs));
    }
    return Optional.empty();
  }

  /**
   * Blocks until the policy lets a download run, telling {@code waiting} once per distinct wait.
   */
  void awaitTurn(java.util.function.Consumer<Wait> waiting) throws InterruptedException {
    String told = null;
    for (Optional<Wait> wait = waitNow(); wait.isPresent(); wait = waitNow()) {
      Wait w = wait.get();
      String key = w.reasonCode() + w.until();
      if (!key.equals(told)) {
        told = key;
        budget.persist();
        waiting.accept(w);
      }
      long ms = w.until().toEpochMilli() - clock.millis();
      Thread.sleep(Math.max(10, Math.min(MAX_SLEEP_MS, ms)));
    }
  }

  /**
   * Grants up to {@code wanted} bytes of a running download: sleeps as the rate cap requires, and
   * returns fewer (possibly 0) when the day's budget runs out within them. Throws {@link
   * PausedException} when nothing may be written now.
   */
  long grant(long wanted) throws IOException {
    DownloadPolicy p = policy;
    if (!binds(p)) {
      return wanted;
    }
    Optional<Wait> wait = waitNow();
    if (wait.isPresent()) {
      budget.persist();
      throw new PausedException(wait.get());
    }
    long granted = Math.min(wanted, allowance(p));
    throttle(granted, p.getRateBytesPerSecond());
    budget.add(today(p), granted);
    return granted;
  }

  /**
   * The bytes the day's budget still allows ({@link Long#MAX_VALUE} without a budget): what a
   * download may ask the server for before it stops.
   */
  long allowance() {
    DownloadPolicy p = policy;
    return binds(p) ? allowance(p) : Long.MAX_VALUE;
  }

  private long allowance(DownloadPolicy p) {
    if (p.getDailyBudgetBytes() <= 0) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, p.getDailyBudgetBytes() - budget.used(today(p)));
  }

  private LocalDate today(DownloadPolicy p) {
    return clock.instant().atZone(zone(p)).toLocalDate();
  }

  /** Records the day's bytes now: a download paused or ended. */
  void flush() {
    budget.persist();
  }

  /**
   * A token bucket holding at most one second of the cap: takes {@code bytes} and sleeps off any
   * debt, so that over any stretch longer than a second the stream stays under the cap.
   */
  private void throttle(long bytes, long rate) throws InterruptedIOException {
    if (rate <= 0 || bytes <= 0) {
      return;
    }
    long sleepNanos;
    synchronized (bucketLock) {
      long now = System.nanoTime();
      tokens = Math.min(rate, tokens + (now - refilledAtNanos) * rate / 1e9);
      refilledAtNanos = now;
      tokens -= bytes;
      sleepNanos = tokens >= 0 ? 0 : (long) (-tokens * 1e9 / rate);
    }
    if (sleepNanos > 0) {
      try {
        Thread.sleep(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while holding the download rate cap");
      }
    }
  }

  /**
   * The slowest rate the slow-retrieval watch may demand under the cap: half the cap at most, or a
   * capped link would be taken for an attacker trickling bytes.
   */
  ThroughputFloor floorUnder(ThroughputFloor floor) {
    long cap = rateCap();
    if (cap <= 0 || !floor.enabled() || floor.minBytesPerSecond() <= cap / 2) {
      return floor;
    }
    return new ThroughputFloor(Math.max(1, cap / 2), floor.windowMillis());
  }

  private boolean binds(DownloadPolicy p) {
    return !p.equals(DownloadPolicy.getDefaultInstance()) && (!p.getMeteredOnly() || metered);
  }

  private ZoneId zone(DownloadPolicy p) {
    if (p.getTimeZone().isEmpty()) {
      return deviceZone;
    }
    try {
      return ZoneId.of(p.getTimeZone());
    } catch (DateTimeException e) {
      // The server validated it; a zone unknown to this JDK's tz data falls back to the device's.
      return deviceZone;
    }
  }

  private String describe(DownloadPolicy p) {
    StringBuilder s = new StringBuilder(p.getId()).append(':');
    if (p.getWindowsCount() > 0) {
      s.append(" windows");
      p.getWindowsList()
          .forEach(
              w ->
                  s.append(' ')
                      .append(hhmm(w.getStartMinute()))
                      .append('-')
                      .append(hhmm(w.getEndMinute())));
      s.append(" (").append(zone(p)).append(')');
    }
    if (p.getRateBytesPerSecond() > 0) {
      s.append(", at most ").append(p.getRateBytesPerSecond()).append(" B/s");
    }
    if (p.getDailyBudgetBytes() > 0) {
      s.append(", at most ").append(p.getDailyBudgetBytes()).append(" B a day");
    }
    return s.toString();
  }

  private static String hhmm(int minute) {
    return String.format(java.util.Locale.ROOT, "%02d:%02d", minute / 60, minute % 60);
  }
}
