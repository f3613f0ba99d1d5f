package dev.modelfleet.cli.output;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A list printed as its pages arrive, so that a fleet of 50,000 devices starts showing at once and
 * is never held whole in memory. A table takes its column widths from the first page; JSON and YAML
 * write one array of every item.
 */
public final class ListOutput {

  private static final int MAX_CELL = 80;

  private final OutputFormat format;
  private final PrintStream out;
  private final PrintStream err;
  private final List<Column> columns;
  private final String noneMessage;
  private JsonGenerator array;
  private int[] widths;
  private long items;

  /**
   * {@code noneMessage}: said on standard error when the list is empty in a table ("No devices
   * found."), so that the output itself stays empty for scripts.
   */
  public ListOutput(
      OutputFormat format,
      PrintStream out,
      PrintStream err,
      List<Column> columns,
      String noneMessage) {
    this.format = format;
    this.out = out;
    this.err = err;
    this.columns =
        columns.stream().filter(c -> !c.wideOnly() || format == OutputFormat.WIDE).toList();
    this.noneMessage = noneMessage;
  }

  /** Prints a page of items. */
  public void add(List<JsonNode> page) {
    items += page.size();
    try {
      if (format.structured()) {
        if (array == null) {
          array =
              (format == OutputFormat.YAML ? Formats.YAML : Formats.JSON)
                  .createGenerator(out)
                  .useDefaultPrettyPrinter();
          array.writeStartArray();
        }
        for (JsonNode item : page) {
          array.writeTree(item);
        }
        array.flush();
        return;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String[]> rows = new ArrayList<>();
    for (JsonNode item : page) {
      String[] row = new String[columns.size()];
      for (int i = 0; i < row.length; i++) {
        row[i] = Text.fit(Text.printable(columns.get(i).value().apply(item)), MAX_CELL);
      }
      rows.add(row);
    }
    if (widths == null && !rows.isEmpty()) {
      widths = new int[columns.size()];
      for (int i = 0; i < widths.length; i++) {
        widths[i] = columns.get(i).header().length();
        for (String[] row : rows) {
          widths[i] = Math.max(widths[i], row[i].length());
        }
      }
      out.println(line(columns.stream().map(Column::header).toArray(String[]::new)));
    }
    rows.forEach(row -> out.println(line(row)));
    out.flush();
  }

  public long items() {
    return items;
  }

  private String line(String[] cells) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      if (i == cells.length - 1) {
        line.append(cells[i]);
      } else {
        line.append(cells[i]).append(" ".repeat(Math.max(0, widths[i] - cells[i].length() + 2)));
      }
    }
    return line.toString().stripTrailing();
  }

  /**
   * Ends the array (an empty one when there was nothing), or says there was nothing. Not called
   * when the list failed midway: a JSON array left open then tells a script it is not whole.
   */
  public void finish() {
    try {
      if (format.structured()) {
        if (array == null) {
          add(List.of());
        }
        array.writeEndArray();
        array.flush();
        out.println();
        out.flush();
      } else if (items == 0 && noneMessage != null) {
        err.println(noneMessage);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
