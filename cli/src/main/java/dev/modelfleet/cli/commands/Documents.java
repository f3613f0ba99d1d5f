package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.modelfleet.cli.CliException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * JSON or YAML documents the user gives (a rollout plan, validation samples), read with a bound on
 * size; YAML is a superset of JSON, so one reader takes both. SnakeYAML's own limits (aliases,
 * nesting) keep a crafted file from blowing up.
 */
final class Documents {

  /** Far above any plan or sample set a person writes. */
  static final long MAX_BYTES = 16L * 1024 * 1024;

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private Documents() {}

  /**
   * The object in {@code file} ({@code -}: standard input). Missing files, unreadable ones and ones
   * that are not one mapping are usage errors naming the file and, for a syntax error, the line and
   * column.
   */
  static JsonNode readObject(String file, InputStream stdin, String what, String hint) {
    JsonNode node;
    try (InputStream in = "-".equals(file) ? stdin : open(Path.of(file), what, hint)) {
      byte[] bytes = in.readNBytes((int) MAX_BYTES + 1);
      if (bytes.length > MAX_BYTES) {
        throw CliException.usage(what + " " + file + " is larger than 16 MiB", hint);
      }
      node = YAML.readTree(bytes);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw CliException.usage(
          what
              + " "
              + file
              + " does not parse"
              + (at == null
                  ? ""
                  : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")")
              + ": "
              + e.getOriginalMessage().lines().findFirst().orElse(""),
          hint);
    } catch (IOException e) {
      throw CliException.usage("cannot read " + what + " " + file + ": " + e.getMessage(), hint);
    }
    if (node == null || !node.isObject()) {
      throw CliException.usage(
          what
              + " "
              + file
              + " holds "
              + (node == null ? "nothing" : "a " + kind(node))
              + ", not a mapping of fields",
          hint);
    }
    return node;
  }

  private static InputStream open(Path path, String what, String hint) throws IOException {
    try {
      if (Files.isDirectory(path)) {
        throw CliException.usage(what + " " + path + " is a directory, not a file", hint);
      }
      return Files.newInputStream(path);
    } catch (NoSuchFileException e) {
      throw CliException.usage("no such file: " + path + " (" + what + ")", hint);
    }
  }

  private static String kind(JsonNode node) {
    if (node.isArray()) {
      return "list";
    }
    if (node.isTextual()) {
      return "string";
    }
    return node.getNodeType().name().toLowerCase(Locale.ROOT);
  }
}
