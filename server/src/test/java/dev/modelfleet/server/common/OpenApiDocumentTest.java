package dev.modelfleet.server.common;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document at /q/openapi is one a client generator can use: every operation has a
 * summary, a declared success response, the security it needs and problem+json errors.
 */
@QuarkusTest
class OpenApiDocumentTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> METHODS = List.of("get", "put", "post", "delete", "patch");

  @Test
  void everyOperationHasASummaryASuccessSchemaAndItsSecurity() throws Exception {
    JsonNode document = document();
    List<String> faults = new ArrayList<>();
    int operations = 0;
    for (Iterator<Map.Entry<String, JsonNode>> paths = document.path("paths").fields();
        paths.hasNext(); ) {
      Map.Entry<String, JsonNode> path = paths.next();
      for (String method : METHODS) {
        JsonNode operation = path.getValue().path(method);
        if (operation.isMissingNode()) {
          continue;
        }
        operations++;
        String name = method.toUpperCase() + " " + path.getKey();
        if (operation.path("summary").asText("").isBlank()) {
          faults.add(name + ": no summary");
        }
        if (!declaresSuccess(operation.path("responses"))) {
          faults.add(name + ": no 2xx response with a schema (nor a 204)");
        }
        if (path.getKey().startsWith(OpenApiDocument.PUBLIC)) {
          if (!operation.path("security").isArray() || !operation.path("security").isEmpty()) {
            faults.add(name + ": public, but does not say so (security: [])");
          }
          continue;
        }
        String scheme =
            path.getKey().startsWith("/agent/") ? OpenApiDocument.DEVICE : OpenApiDocument.ADMIN;
        if (!operation.path("security").toString().contains("\"" + scheme + "\"")) {
          faults.add(name + ": does not require " + scheme);
        }
        JsonNode unauthorized = operation.path("responses").path("401");
        if (!unauthorized.path("content").has(Problem.MEDIA_TYPE)) {
          faults.add(name + ": no problem+json 401");
        }
        if (path.getKey().contains("{")
            && operation.path("responses").path("404").isMissingNode()) {
          faults.add(name + ": no 404 for its path parameters");
        }
      }
    }
    assertTrue(operations > 50, "the document lists the API: " + operations + " operations");
    assertEquals(List.of(), faults);
  }

  @Test
  void theDocumentDeclaresTheBearerSchemeAndTheProblemCodes() throws Exception {
    JsonNode components = document().path("components");
    JsonNode admin = components.path("securitySchemes").path(OpenApiDocument.ADMIN);
    assertEquals("http", admin.path("type").asText());
    assertEquals("bearer", admin.path("scheme").asText());
    JsonNode codes = components.path("schemas").path("Problem").path("properties").path("code");
    List<String> listed = new ArrayList<>();
    codes.path("enum").forEach(c -> listed.add(c.asText()));
    for (ApiError error : ApiError.values()) {
      assertTrue(listed.contains(error.code()), error.code() + " is in the Problem schema");
    }
  }

  @Test
  void pagedListsDeclareTheirParametersAndTheLinkHeader() throws Exception {
    JsonNode devices = document().path("paths").path("/api/v1/devices").path("get");
    List<String> parameters = new ArrayList<>();
    devices.path("parameters").forEach(p -> parameters.add(p.path("name").asText()));
    assertTrue(
        parameters.containsAll(List.of("selector", "status", "limit", "after")),
        parameters.toString());
    JsonNode ok = devices.path("responses").path("200");
    assertTrue(ok.path("headers").has("Link"), ok.toString());
    assertEquals(
        "array", ok.path("content").path("application/json").path("schema").path("type").asText());
  }

  @Test
  void swaggerUiIsServedOutsideProduction() {
    given().get("/q/swagger-ui/").then().statusCode(200);
  }

  private static JsonNode document() throws Exception {
    byte[] body =
        given()
            .queryParam("format", "json")
            .get("/q/openapi")
            .then()
            .statusCode(200)
            .extract()
            .asByteArray();
    return JSON.readTree(body);
  }

  private static boolean declaresSuccess(JsonNode responses) {
    for (Iterator<Map.Entry<String, JsonNode>> it = responses.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> response = it.next();
      if (!response.getKey().startsWith("2")) {
        continue;
      }
      if (response.getKey().equals("204")) {
        return true;
      }
      for (JsonNode media : response.getValue().path("content")) {
        if (media.has("schema")) {
          return true;
        }
      }
    }
    return false;
  }
}
