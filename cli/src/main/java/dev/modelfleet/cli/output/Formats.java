package dev.modelfleet.cli.output;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** The JSON and YAML mappers, configured once: indented, never closing the stream they write. */
public final class Formats {

  public static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

  public static final YAMLMapper YAML =
      new YAMLMapper(
          YAMLFactory.builder()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
              .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
              .build());

  static {
    YAML.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
  }

  private Formats() {}

  /** One object in a structured format, ending with a new line. */
  public static void write(OutputFormat format, JsonNode node, OutputStream out) {
    try {
      if (format == OutputFormat.YAML) {
        YAML.writeValue(out, node);
      } else {
        JSON.writeValue(out, node);
        out.write('\n');
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One object as a single line of JSON (a line per change in a stream of changes). */
  public static String oneLine(JsonNode node) {
    try {
      return new ObjectMapper().writeValueAsString(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
