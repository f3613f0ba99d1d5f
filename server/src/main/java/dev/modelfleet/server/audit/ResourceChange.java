package dev.modelfleet.server.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a call changed in one resource: its fields that differ before and after, plus the ones that
 * say which resource it is. Unchanged fields are left out so that an entry stays small and says at
 * a glance what moved (an assignment to 3 devices of a model running on 5,000 shows 3 devices). A
 * field that did not exist on one side is null there. Null before: the call created the resource.
 */
record ResourceChange(JsonNode before, JsonNode after) {

  private static final Set<String> IDENTIFYING = Set.of("id", "name", "model", "version");

  /** Keeps one entry bounded whatever the fleet's size. */
  static final int MAX_FIELDS = 1000;

  static ResourceChange of(JsonNode before, JsonNode after) {
    if (before == null || after == null || !before.isObject() || !after.isObject()) {
      return new ResourceChange(before, after);
    }
    Set<String> fields = new TreeSet<>();
    before.fieldNames().forEachRemaining(fields::add);
    after.fieldNames().forEachRemaining(fields::add);
    ObjectNode was = JsonNodeFactory.instance.objectNode();
    ObjectNode is = JsonNodeFactory.instance.objectNode();
    int changed = 0;
    for (Iterator<String> it = fields.iterator(); it.hasNext(); ) {
      String field = it.next();
      JsonNode old = before.has(field) ? before.get(field) : NullNode.instance;
      JsonNode now = after.has(field) ? after.get(field) : NullNode.instance;
      if (IDENTIFYING.contains(field) || !old.equals(now)) {
        if (!IDENTIFYING.contains(field) && ++changed > MAX_FIELDS) {
          was.put("truncated", true);
          is.put("truncated", true);
          break;
        }
        was.set(field, old);
        is.set(field, now);
      }
    }
    return new ResourceChange(was, is);
  }
}
