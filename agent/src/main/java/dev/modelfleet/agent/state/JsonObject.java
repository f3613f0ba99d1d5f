package dev.modelfleet.agent.state;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One small JSON object the agent keeps or reads ({@code state.json}, {@code identity.json}, a
 * simulated profile, a bundle import's result, the status document), read into maps and lists with
 * jackson-core's streaming parser. The agent needs no data binding for these few files: Jackson's
 * databind was 1.5 MB of its jar and hundreds of classes loaded at start (docs/benchmarks.md, the
 * footprint section). Getters return null for an absent or null field and refuse a wrong type.
 */
public final class JsonObject {

  static final JsonFactory FACTORY = new JsonFactory();

  /** Writes one JSON document. */
  @FunctionalInterface
  public interface Writer {
    void write(JsonGenerator g) throws IOException;
  }

  private final Map<String, Object> fields;
  private final String path;

  private JsonObject(Map<String, Object> fields, String path) {
    this.fields = fields;
    this.path = path;
  }

  public static JsonObject parse(byte[] json) throws IOException {
    try (JsonParser p = FACTORY.createParser(json)) {
      return top(p);
    }
  }

  public static JsonObject read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file);
        JsonParser p = FACTORY.createParser(in)) {
      return top(p);
    }
  }

  /** The bytes {@code writer} produces, pretty-printed when {@code indent}. */
  public static byte[] write(boolean indent, Writer writer) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator g = FACTORY.createGenerator(out)) {
      if (indent) {
        g.useDefaultPrettyPrinter();
      }
      writer.write(g);
    }
    return out.toByteArray();
  }

  /** Writes {@code values} as an array of strings, or null. */
  public static void writeStrings(JsonGenerator g, String field, Collection<String> values)
      throws IOException {
    if (values == null) {
      g.writeNullField(field);
      return;
    }
    g.writeArrayFieldStart(field);
    for (String value : values) {
      g.writeString(value);
    }
    g.writeEndArray();
  }

  private static JsonObject top(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new IOException("expected a JSON object");
    }
    JsonObject object = new JsonObject(object(p), "");
    if (p.nextToken() != null) {
      throw new IOException("unexpected content after the JSON object");
    }
    return object;
  }

  private static Map<String, Object> object(JsonParser p) throws IOException {
    Map<String, Object> fields = new LinkedHashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      fields.put(name, value(p));
    }
    return fields;
  }

  private static Object value(JsonParser p) throws IOException {
    JsonToken token = p.currentToken();
    if (token == null) {
      throw new IOException("unexpected end of the JSON document");
    }
    return switch (token) {
      case START_OBJECT -> object(p);
      case START_ARRAY -> {
        List<Object> values = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          values.add(value(p));
        }
        yield values;
      }
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
      case VALUE_TRUE -> Boolean.TRUE;
      case VALUE_FALSE -> Boolean.FALSE;
      case VALUE_NULL -> null;
      default -> throw new IOException("unexpected JSON token " + token);
    };
  }

  public boolean has(String field) {
    return fields.containsKey(field);
  }

  /** Refuses a field not in {@code known}: a misspelt one must not be ignored silently. */
  public JsonObject onlyFields(Collection<String> known) throws IOException {
    for (String field : fields.keySet()) {
      if (!known.contains(field)) {
        throw new IOException("unknown field \"" + where(field) + "\" (known: " + known + ")");
      }
    }
    return this;
  }

  public String string(String field) throws IOException {
    return typed(field, String.class, "a string");
  }

  public String string(String field, String absent) throws IOException {
    String value = string(field);
    return value == null ? absent : value;
  }

  public Boolean bool(String field) throws IOException {
    return typed(field, Boolean.class, "true or false");
  }

  public Long longValue(String field) throws IOException {
    Number n = typed(field, Number.class, "a number");
    if (n == null) {
      return null;
    }
    if (n instanceof Double || n instanceof Float || n instanceof java.math.BigDecimal) {
      throw new IOException("field \"" + where(field) + "\" must be a whole number");
    }
    return n.longValue();
  }

  public long longValue(String field, long absent) throws IOException {
    Long value = longValue(field);
    return value == null ? absent : value;
  }

  public Integer intValue(String field) throws IOException {
    Long value = longValue(field);
    if (value != null && (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE)) {
      throw new IOException("field \"" + where(field) + "\" is out of range");
    }
    return value == null ? null : value.intValue();
  }

  public Double doubleValue(String field) throws IOException {
    Number n = typed(field, Number.class, "a number");
    return n == null ? null : n.doubleValue();
  }

  @SuppressWarnings("unchecked")
  public JsonObject object(String field) throws IOException {
    Map<String, Object> value = typed(field, Map.class, "an object");
    return value == null ? null : new JsonObject(value, where(field) + ".");
  }

  /** An array of objects, or null. */
  @SuppressWarnings("unchecked")
  public List<JsonObject> objects(String field) throws IOException {
    List<Object> values = typed(field, List.class, "an array");
    if (values == null) {
      return null;
    }
    List<JsonObject> objects = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      if (!(values.get(i) instanceof Map)) {
        throw new IOException("field \"" + where(field) + "[" + i + "]\" must be an object");
      }
      objects.add(
          new JsonObject((Map<String, Object>) values.get(i), where(field) + "[" + i + "]."));
    }
    return objects;
  }

  /** An array of strings, or null. */
  @SuppressWarnings("unchecked")
  public List<String> strings(String field) throws IOException {
    List<Object> values = typed(field, List.class, "an array");
    if (values == null) {
      return null;
    }
    for (Object value : values) {
      if (!(value instanceof String)) {
        throw new IOException("field \"" + where(field) + "\" must hold strings");
      }
    }
    return List.copyOf((List<String>) (List<?>) values);
  }

  /** An object of string values, or null. */
  public Map<String, String> stringMap(String field) throws IOException {
    JsonObject object = object(field);
    if (object == null) {
      return null;
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (String key : object.fields.keySet()) {
      map.put(key, object.string(key));
    }
    return map;
  }

  private <T> T typed(String field, Class<T> type, String what) throws IOException {
    Object value = fields.get(field);
    if (value == null) {
      return null;
    }
    if (!type.isInstance(value)) {
      throw new IOException("field \"" + where(field) + "\" must be " + what);
    }
    return type.cast(value);
  }

  private String where(String field) {
    return path + field;
  }
}
