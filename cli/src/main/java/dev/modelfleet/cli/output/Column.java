package dev.modelfleet.cli.output;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Function;

/**
 * One column of a table: its header, how to read its cell from an API object, and whether it is
 * shown only with {@code -o wide}.
 */
public record Column(String header, Function<JsonNode, String> value, boolean wideOnly) {

  /** A column showing a field of the object as is. */
  public static Column of(String header, String field) {
    return new Column(header, node -> Text.cell(node.path(field)), false);
  }

  public static Column of(String header, Function<JsonNode, String> value) {
    return new Column(header, value, false);
  }

  /** A column shown only with {@code -o wide}. */
  public static Column wide(String header, String field) {
    return new Column(header, node -> Text.cell(node.path(field)), true);
  }

  public static Column wide(String header, Function<JsonNode, String> value) {
    return new Column(header, value, true);
  }
}
