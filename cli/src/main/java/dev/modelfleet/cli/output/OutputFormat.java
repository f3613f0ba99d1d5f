package dev.modelfleet.cli.output;

import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code -o table|wide|json|yaml}. */
public enum OutputFormat {
  /** Columns people read; the default. */
  TABLE,
  /** The table with more columns. */
  WIDE,
  /** The API's own objects as JSON; a list is one array of every item across pages. */
  JSON,
  /** The same objects as YAML. */
  YAML;

  /** Whether the API's objects are printed as they are (for scripts). */
  public boolean structured() {
    return this == JSON || this == YAML;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Reads the option's value, in any case. */
  public static final class Converter implements ITypeConverter<OutputFormat> {
    @Override
    public OutputFormat convert(String value) {
      for (OutputFormat format : values()) {
        if (format.label().equalsIgnoreCase(value)) {
          return format;
        }
      }
      throw new TypeConversionException(
          "unknown output format '"
              + Text.printable(value)
              + "': use one of: table, wide, json, yaml");
    }
  }

  /** The values, for shell completion and help. */
  public static final class Names implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return List.of("table", "wide", "json", "yaml").iterator();
    }
  }
}
