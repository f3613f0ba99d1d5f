package dev.modelfleet.cli.output;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** One object for people: aligned "label: value" lines, and sections holding small tables. */
public final class Describe {

  private static final int LABEL_WIDTH = 16;

  private final PrintStream out;
  private final String indent;

  public Describe(PrintStream out) {
    this(out, "");
  }

  private Describe(PrintStream out, String indent) {
    this.out = out;
    this.indent = indent;
  }

  /** A line {@code label: value}; nothing when the value is empty. */
  public Describe field(String label, String value) {
    if (value != null && !value.isEmpty()) {
      out.println(
          indent + label + ":" + " ".repeat(Math.max(1, LABEL_WIDTH - label.length())) + value);
    }
    return this;
  }

  /** A line {@code label: value} of a field of {@code node}. */
  public Describe field(String label, JsonNode node, String name) {
    return field(label, Text.cell(node.path(name)));
  }

  /** A heading, and what follows indented under it. */
  public Describe section(String title) {
    out.println(indent + title + ":");
    return new Describe(out, indent + "  ");
  }

  /** A line as it is, indented. */
  public Describe line(String text) {
    out.println(indent + text);
    return this;
  }

  /** A table of {@code items}; "(none)" when there are none. */
  public Describe table(JsonNode items, List<Column> columns) {
    if (items == null || !items.isArray() || items.isEmpty()) {
      out.println(indent + "(none)");
      return this;
    }
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream table = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    ListOutput list = new ListOutput(OutputFormat.TABLE, table, table, columns, null);
    List<JsonNode> all = new ArrayList<>();
    items.forEach(all::add);
    list.add(all);
    list.finish();
    buffer.toString(StandardCharsets.UTF_8).lines().forEach(line -> out.println(indent + line));
    return this;
  }
}
