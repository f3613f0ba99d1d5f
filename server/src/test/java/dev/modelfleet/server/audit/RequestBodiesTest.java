package dev.modelfleet.server.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class RequestBodiesTest {

  private final ObjectMapper json = new ObjectMapper();

  @Test
  void secretFieldsAreRedactedAtAnyDepth() throws Exception {
    JsonNode body =
        json.readTree(
            """
        {"name": "x", "token": "abc", "nested": {"clientSecret": "s", "ok": 1},
         "list": [{"password": "p"}, {"api_token": null}], "enrollmentToken": {"a": 1}}""");
    JsonNode audited = RequestBodies.forAudit(body);
    assertEquals(
        json.readTree(
            """
        {"name": "x", "token": "[redacted]", "nested": {"clientSecret": "[redacted]", "ok": 1},
         "list": [{"password": "[redacted]"}, {}],
         "enrollmentToken": "[redacted]"}"""),
        audited);
    assertEquals("abc", body.get("token").asText(), "the caller's copy is untouched");
  }

  @Test
  void largeBodiesAreReplacedByTheirSize() throws Exception {
    JsonNode body = json.readTree("{\"description\": \"" + "x".repeat(9000) + "\"}");
    JsonNode audited = RequestBodies.forAudit(body);
    assertEquals(true, audited.get("truncated").asBoolean());
    assertEquals(9018, audited.get("bytes").asInt());
  }

  @Test
  void noBodyIsNull() {
    assertNull(RequestBodies.forAudit(null));
  }
}
