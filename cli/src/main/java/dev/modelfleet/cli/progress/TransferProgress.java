package dev.modelfleet.cli.progress;

import dev.modelfleet.cli.http.TransferListener;
import dev.modelfleet.cli.output.Text;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Shows an upload: bytes sent, MB/s and time left while the body goes out, then "server checking
 * the model..." until the server answers. Redrawn ten times a second on a live terminal; a plain
 * line every few seconds elsewhere, so that a log shows it is alive without filling up.
 */
public final class TransferProgress implements TransferListener, AutoCloseable {

  static final Duration PLAIN_EVERY = Duration.ofSeconds(2);

  private final ProgressLine line;
  private final String name;
  private final LongSupplier nanoTime;
  private final ScheduledExecutorService ticker;
  private volatile long total = -1;
  private volatile long sent;
  private volatile long startedAt;
  private volatile long bodySentAt;
  private long lastPlainAt;
  private final String checked;

  public TransferProgress(ProgressLine line, String name, LongSupplier nanoTime) {
    this(line, name, nanoTime, "the model");
  }

  /** {@code checked}: what the server checks once the body is out ("the model", "the samples"). */
  public TransferProgress(ProgressLine line, String name, LongSupplier nanoTime, String checked) {
    this.line = line;
    this.name = name;
    this.nanoTime = nanoTime;
    this.checked = checked;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "upload-progress");
              t.setDaemon(true);
              return t;
            });
    long every = line.live() ? 100 : 500;
    ticker.scheduleAtFixedRate(this::tick, every, every, TimeUnit.MILLISECONDS);
  }

  @Override
  public void started(long total) {
    this.total = total;
    this.sent = 0;
    this.startedAt = nanoTime.getAsLong();
    this.bodySentAt = 0;
    this.lastPlainAt = startedAt;
  }

  @Override
  public void sent(long bytes) {
    this.sent = bytes;
  }

  @Override
  public void bodySent() {
    bodySentAt = nanoTime.getAsLong();
    synchronized (this) {
      line.line(summary(bodySentAt));
      if (!line.live()) {
        line.line("server checking " + checked + "...");
      }
    }
    tick();
  }

  private synchronized void tick() {
    if (total < 0) {
      return;
    }
    long now = nanoTime.getAsLong();
    if (bodySentAt != 0) {
      line.redraw(
          "server checking "
              + checked
              + "... "
              + Text.duration(Duration.ofNanos(now - bodySentAt)));
      return;
    }
    if (line.live()) {
      line.redraw(status(now, true));
    } else if (now - lastPlainAt >= PLAIN_EVERY.toNanos()) {
      lastPlainAt = now;
      line.line(status(now, false));
    }
  }

  /** What the line says at {@code now} (nanoTime) while the body goes out. */
  String status(long now, boolean live) {
    long elapsed = Math.max(1, now - startedAt);
    double rate = sent * 1e9 / elapsed;
    String left =
        rate > 0 && total > 0
            ? Text.duration(Duration.ofSeconds(Math.round((total - sent) / rate))) + " left"
            : "";
    int percent = total > 0 ? (int) (sent * 100 / total) : 100;
    if (live) {
      return String.format(
          Locale.ROOT,
          "uploading %s %s  %s / %s %3d%%  %s  %s",
          name,
          ProgressLine.bar(total > 0 ? (double) sent / total : 1, 24),
          Text.bytes(sent),
          Text.bytes(total),
          percent,
          Text.rate(rate),
          left);
    }
    return String.format(
        Locale.ROOT,
        "uploading %s: %s of %s (%d %%), %s, %s",
        name,
        Text.bytes(sent),
        Text.bytes(total),
        percent,
        Text.rate(rate),
        left.isEmpty() ? "starting" : left);
  }

  private String summary(long now) {
    long elapsed = Math.max(1, now - startedAt);
    return String.format(
        Locale.ROOT,
        "uploaded %s: %s in %.1f s (%s)",
        name,
        Text.bytes(sent),
        elapsed / 1e9,
        Text.rate(sent * 1e9 / elapsed));
  }

  /** Stops redrawing; says how long the server's checks took. */
  @Override
  public void close() {
    ticker.shutdownNow();
    synchronized (this) {
      if (bodySentAt != 0) {
        line.line(
            String.format(
                Locale.ROOT,
                "server checked " + checked + " in %.1f s",
                (nanoTime.getAsLong() - bodySentAt) / 1e9));
      } else {
        line.clear();
      }
    }
  }
}
