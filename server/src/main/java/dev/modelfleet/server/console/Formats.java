package dev.modelfleet.server.console;

import java.time.Clock;
import java.time.Instant;
import java.util.Locale;

/**
 * How the pages write figures: with units, and times both as "5 min ago" and as an ISO instant that
 * console.js rewrites into the viewer's own time zone.
 */
public class Formats {

  private final Clock clock;

  Formats(Clock clock) {
    this.clock = clock;
  }

  public String ago(Instant then) {
    return ConsolePages.ago(then, clock.instant());
  }

  public String bytes(long n) {
    return ConsolePages.bytes(n);
  }

  public String ms(double v) {
    return String.format(Locale.ROOT, "%.2f ms", v);
  }

  public String num(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  public double millions(long n) {
    return n / 1e6;
  }

  public String url(String s) {
    return s == null ? "" : java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Width in percent of {@code part} against {@code whole}, for SVG bars. */
  public String width(double part, double whole) {
    return String.format(Locale.ROOT, "%.2f", whole <= 0 ? 0 : Math.max(0, 100 * part / whole));
  }
}
