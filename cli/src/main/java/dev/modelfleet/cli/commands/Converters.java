package dev.modelfleet.cli.commands;

import dev.modelfleet.cli.output.Text;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Option values people write: durations ({@code 90d}), sizes ({@code 1GiB}), instants. */
final class Converters {

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(s|m|h|d|w)");
  private static final Pattern SIZE =
      Pattern.compile("(\\d{1,15})\\s*(b|kib|mib|gib|tib|kb|mb|gb|tb|k|m|g|t)?");

  private Converters() {}

  /** {@code 30s}, {@code 15m}, {@code 12h}, {@code 7d}, {@code 2w}, or ISO-8601 ({@code PT1H}). */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      return duration(value);
    }
  }

  static Duration duration(String value) {
    String text = value.trim().toLowerCase(Locale.ROOT);
    Matcher m = DURATION.matcher(text);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        case "d" -> Duration.ofDays(n);
        default -> Duration.ofDays(7 * n);
      };
    }
    try {
      return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
    } catch (DateTimeParseException e) {
      throw new TypeConversionException(
          "'"
              + Text.printable(value)
              + "' is not a duration: write e.g. 30s, 15m, 12h, 7d, 2w (or ISO-8601 PT1H)");
    }
  }

  /**
   * Bytes: a number, or with a unit: KiB, MiB, GiB, TiB (powers of 1024; K, M, G, T mean the same)
   * or KB, MB, GB, TB (powers of 1000).
   */
  static final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
      if (!m.matches()) {
        throw new TypeConversionException(
            "'" + Text.printable(value) + "' is not a size: write e.g. 1073741824, 1GiB, 512MiB");
      }
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "b" : m.group(2);
      long factor =
          switch (unit) {
            case "kib", "k" -> 1L << 10;
            case "mib", "m" -> 1L << 20;
            case "gib", "g" -> 1L << 30;
            case "tib", "t" -> 1L << 40;
            case "kb" -> 1_000L;
            case "mb" -> 1_000_000L;
            case "gb" -> 1_000_000_000L;
            case "tb" -> 1_000_000_000_000L;
            default -> 1L;
          };
      try {
        return Math.multiplyExact(n, factor);
      } catch (ArithmeticException e) {
        throw new TypeConversionException("'" + Text.printable(value) + "' is too large");
      }
    }
  }

  /** An ISO-8601 instant ({@code 2026-12-01T02:00:00Z}), or a duration ago ({@code 2h}). */
  static final class InstantConverter implements ITypeConverter<Instant> {
    @Override
    public Instant convert(String value) {
      try {
        return Instant.parse(value.trim());
      } catch (DateTimeParseException e) {
        try {
          return Instant.now().minus(duration(value));
        } catch (TypeConversionException notDuration) {
          throw new TypeConversionException(
              "'"
                  + Text.printable(value)
                  + "' is neither an instant (2026-12-01T02:00:00Z) nor a duration ago (2h)");
        }
      }
    }
  }
}
