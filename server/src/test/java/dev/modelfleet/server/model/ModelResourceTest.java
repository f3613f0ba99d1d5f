package dev.modelfleet.server.model;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ModelResourceTest {

  @Test
  void createListGetModelAndVersion() {
    String name = Api.unique("detector");
    adminJson()
        .body(Map.of("name", name, "description", "finds things"))
        .post("/api/v1/models")
        .then()
        .statusCode(201)
        .header("Location", containsString("/api/v1/models/" + name))
        .body("name", equalTo(name))
        .body("versions", empty());
    admin().get("/api/v1/models").then().statusCode(200).body("name", hasItem(name));
    adminJson()
        .body(Map.of("version", "2.1.0"))
        .post("/api/v1/models/" + name + "/versions")
        .then()
        .statusCode(201)
        .body("version", equalTo("2.1.0"))
        .body("variants", empty());
    admin()
        .get("/api/v1/models/" + name)
        .then()
        .statusCode(200)
        .body("description", equalTo("finds things"))
        .body("versions", hasItem("2.1.0"));
    admin()
        .get("/api/v1/models/" + name + "/versions/2.1.0")
        .then()
        .statusCode(200)
        .body("model", equalTo(name))
        .body("version", equalTo("2.1.0"));
  }

  @Test
  void duplicatesAreConflictsAndChangeNothing() {
    String name = Api.unique("dup");
    adminJson().body(Map.of("name", name)).post("/api/v1/models").then().statusCode(201);
    adminJson()
        .body(Map.of("version", "1"))
        .post("/api/v1/models/" + name + "/versions")
        .then()
        .statusCode(201);
    var before = Db.snapshot();
    adminJson()
        .body(Map.of("name", name))
        .post("/api/v1/models")
        .then()
        .statusCode(409)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("duplicate-name"));
    adminJson()
        .body(Map.of("version", "1"))
        .post("/api/v1/models/" + name + "/versions")
        .then()
        .statusCode(409)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("duplicate-name"));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void invalidNamesSayWhatIsAllowed() {
    var before = Db.snapshot();
    for (String bad : new String[] {"Upper", "-dash", "", "has space", "x".repeat(64)}) {
      adminJson()
          .body(Map.of("name", bad))
          .post("/api/v1/models")
          .then()
          .statusCode(400)
          .contentType(PROBLEM_JSON)
          .body("code", equalTo("invalid-name"))
          .body("detail", containsString("[a-z0-9][a-z0-9._-]{0,62}"));
    }
    String name = Api.unique("ok");
    adminJson().body(Map.of("name", name)).post("/api/v1/models").then().statusCode(201);
    adminJson()
        .body(Map.of("version", "v/1"))
        .post("/api/v1/models/" + name + "/versions")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-name"));
    assertEquals(Db.snapshot().get("model_versions"), before.get("model_versions"));
  }

  @Test
  void unknownModelsAndVersionsAreNotFound() {
    String missing = Api.unique("missing");
    admin()
        .get("/api/v1/models/" + missing)
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("not-found"))
        .body("detail", containsString(missing));
    adminJson()
        .body(Map.of("version", "1"))
        .post("/api/v1/models/" + missing + "/versions")
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    String name = Api.unique("m");
    adminJson().body(Map.of("name", name)).post("/api/v1/models").then().statusCode(201);
    admin()
        .get("/api/v1/models/" + name + "/versions/9.9")
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
  }

  @Test
  void malformedJsonAndWrongContentType() {
    var before = Db.snapshot();
    adminJson()
        .body("{\"name\": \"abc\"")
        .post("/api/v1/models")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("malformed-json"));
    adminJson()
        .body("[1,2]")
        .post("/api/v1/models")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("malformed-json"));
    admin()
        .contentType("application/xml")
        .body("<model/>")
        .post("/api/v1/models")
        .then()
        .statusCode(415)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unsupported-media-type"));
    assertEquals(before, Db.snapshot());
  }
}
