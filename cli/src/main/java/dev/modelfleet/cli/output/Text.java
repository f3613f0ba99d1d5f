package dev.modelfleet.cli.output;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/** Small formatting helpers for what people read: sizes, rates, durations, ages, labels. */
public final class Text {

  private Text() {}

  /**
   * Text the server (or a file) chose, safe to print: control characters, which could move the
   * cursor or rewrite the screen of a terminal, are shown as escapes.
   */
  public static String printable(String text) {
    if (text == null) {
      return "";
    }
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean control = c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0);
      if (control && out == null) {
        out = new StringBuilder(text.substring(0, i));
      }
      if (out != null) {
        out.append(control ? String.format("\\u%04x", (int) c) : String.valueOf(c));
      }
    }
    return out == null ? text : out.toString();
  }

  /** A JSON value as a table cell: empty for null or missing, printable text otherwise. */
  public static String cell(JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      return "";
    }
    if (node.isValueNode()) {
      return printable(node.asText());
    }
    if (node.isArray()) {
      StringBuilder out = new StringBuilder();
      for (JsonNode item : node) {
        if (out.length() > 0) {
          out.append(',');
        }
        out.append(cell(item));
      }
      return out.toString();
    }
    return labels(node);
  }

  /** {@code k=v,k2=v2} from a JSON object of strings. */
  public static String labels(JsonNode labels) {
    if (labels == null || !labels.isObject()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (Iterator<Map.Entry<String, JsonNode>> it = labels.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> label = it.next();
      if (out.length() > 0) {
        out.append(',');
      }
      out.append(printable(label.getKey()))
          .append('=')
          .append(printable(label.getValue().asText()));
    }
    return out.toString();
  }

  /** 1536 → "1.5 KiB": binary units, one decimal from KiB on. */
  public static String bytes(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }

  /** Bytes per second as MB/s (decimal megabytes, as transfer rates are usually given). */
  public static String rate(double bytesPerSecond) {
    return String.format(Locale.ROOT, "%.1f MB/s", bytesPerSecond / 1_000_000);
  }

  /** 3725 s → "1h02m", 125 s → "2m05s", 7 s → "7s". */
  public static String duration(Duration duration) {
    long seconds = Math.max(0, duration.toSeconds());
    if (seconds >= 86_400) {
      return String.format(Locale.ROOT, "%dd%02dh", seconds / 86_400, seconds % 86_400 / 3600);
    }
    if (seconds >= 3600) {
      return String.format(Locale.ROOT, "%dh%02dm", seconds / 3600, seconds % 3600 / 60);
    }
    if (seconds >= 60) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return seconds + "s";
  }

  /** An ISO instant as "5m ago" / "in 3d" relative to {@code now}; the text as is if not one. */
  public static String age(JsonNode instant, Instant now) {
    if (instant == null || instant.isNull() || instant.isMissingNode()) {
      return "";
    }
    try {
      Instant at = Instant.parse(instant.asText());
      return at.isAfter(now)
          ? "in " + duration(Duration.between(now, at))
          : duration(Duration.between(at, now)) + " ago";
    } catch (DateTimeParseException e) {
      return printable(instant.asText());
    }
  }

  /** A number with at most {@code places} decimals ("1.98"); empty for null or missing. */
  public static String decimal(JsonNode number, int places) {
    if (number == null || !number.isNumber()) {
      return cell(number);
    }
    return new BigDecimal(number.asText())
        .setScale(places, RoundingMode.HALF_UP)
        .stripTrailingZeros()
        .toPlainString();
  }

  /** {@code text} cut to {@code width} characters, ending with "…" when cut. */
  public static String fit(String text, int width) {
    if (width <= 0) {
      return "";
    }
    return text.length() <= width ? text : text.substring(0, Math.max(0, width - 1)) + "…";
  }

  /**
   * {@code text} cut to {@code width} visible characters, its ANSI colour sequences kept whole and
   * not counted (a sequence cut in half would swallow what follows it on the terminal).
   */
  public static String fitVisible(String text, int width) {
    StringBuilder out = new StringBuilder();
    int visible = 0;
    boolean coloured = false;
    int length = text.length();
    boolean cut = false;
    for (int i = 0; i < length; i++) {
      char c = text.charAt(i);
      if (c == '\033' && i + 1 < length && text.charAt(i + 1) == '[') {
        int end = i + 2;
        while (end < length && !Character.isLetter(text.charAt(end))) {
          end++;
        }
        out.append(text, i, Math.min(length, end + 1));
        coloured = true;
        i = end;
        continue;
      }
      if (visible == width - 1 && hasVisibleAfter(text, i + 1)) {
        out.append('…');
        cut = true;
        break;
      }
      out.append(c);
      visible++;
    }
    return cut && coloured ? out + "\033[0m" : out.toString();
  }

  private static boolean hasVisibleAfter(String text, int from) {
    for (int i = from; i < text.length(); i++) {
      if (text.charAt(i) == '\033' && i + 1 < text.length() && text.charAt(i + 1) == '[') {
        while (i < text.length() && !Character.isLetter(text.charAt(i))) {
          i++;
        }
        continue;
      }
      return true;
    }
    return false;
  }

  /** The first 8 characters of an id, enough to tell ids apart on one screen. */
  public static String shortId(String id) {
    return id == null ? "" : id.length() > 8 ? id.substring(0, 8) : id;
  }
}
