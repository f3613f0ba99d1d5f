package dev.modelfleet.server.console;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/** Small helpers the console's pages share: refusals and how numbers and times read. */
public final class ConsolePages {

  private ConsolePages() {}

  /** A plain-text refusal (the page did not come from the console, or no session). */
  static Response refused(Response.Status status, String why) {
    return Response.status(status).type(MediaType.TEXT_PLAIN_TYPE).entity(why).build();
  }

  /** "3 s ago", "5 min ago", "2 h ago", "4 d ago"; "never" for null. */
  public static String ago(Instant then, Instant now) {
    if (then == null) {
      return "never";
    }
    long s = Math.max(0, Duration.between(then, now).toSeconds());
    if (s < 120) {
      return s + " s ago";
    }
    if (s < 7200) {
      return (s / 60) + " min ago";
    }
    if (s < 172800) {
      return (s / 3600) + " h ago";
    }
    return (s / 86400) + " d ago";
  }

  /** Bytes with a unit: "812 B", "3.4 MB". */
  public static String bytes(long n) {
    if (n < 1000) {
      return n + " B";
    }
    String[] units = {"kB", "MB", "GB", "TB"};
    double v = n;
    int u = -1;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
