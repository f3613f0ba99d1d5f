package dev.modelfleet.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Makes a request body fit for the audit log: no secrets, and bounded in size. */
public final class RequestBodies {

  static final int MAX_BYTES = 8 * 1024;

  /** Field names (any case, anywhere in the name) whose values are never written down. */
  private static final List<String> SECRET_WORDS =
      List.of("token", "secret", "password", "credential", "authorization", "privatekey");

  static final String REDACTED = "[redacted]";

  private RequestBodies() {}

  /**
   * A copy with secret fields' values replaced and null fields left out; at most 8 KB, or a note
   * saying how large it was.
   */
  public static JsonNode forAudit(JsonNode body) {
    if (body == null || body.isNull() || body.isMissingNode()) {
      return null;
    }
    JsonNode redacted = redact(body.deepCopy());
    int size = redacted.toString().getBytes(StandardCharsets.UTF_8).length;
    if (size <= MAX_BYTES) {
      return redacted;
    }
    ObjectNode note = JsonNodeFactory.instance.objectNode();
    note.put("truncated", true);
    note.put("bytes", size);
    return note;
  }

  private static JsonNode redact(JsonNode node) {
    if (node instanceof ObjectNode object) {
      for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> field = it.next();
        if (field.getValue().isNull()) {
          // the body is the parsed request: a null is mostly a field the client left out
          it.remove();
        } else if (isSecret(field.getKey())) {
          field.setValue(JsonNodeFactory.instance.textNode(REDACTED));
        } else {
          redact(field.getValue());
        }
      }
    } else if (node.isArray()) {
      node.forEach(RequestBodies::redact);
    }
    return node;
  }

  static boolean isSecret(String fieldName) {
    String name = fieldName.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
    return SECRET_WORDS.stream().anyMatch(name::contains);
  }
}
