package dev.modelfleet.server.access;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.modelfleet.server.support.Api;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

@QuarkusTest
class AdminAuthTest {

  @Test
  void apiWithoutTokenIsUnauthenticated() {
    given()
        .get("/api/v1/models")
        .then()
        .statusCode(401)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unauthenticated"))
        .body("status", equalTo(401))
        .body("type", equalTo("urn:modelfleet:problem:unauthenticated"))
        .body("detail", containsString("Bearer"));
  }

  @Test
  void wrongTokenIsUnauthenticated() {
    given()
        .header("Authorization", "Bearer not-the-token")
        .get("/api/v1/devices")
        .then()
        .statusCode(401)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unauthenticated"));
  }

  @Test
  void unknownApiPathNeedsTokenThenIsNotFound() {
    given().get("/api/v1/nothing-here").then().statusCode(401);
    Api.admin()
        .get("/api/v1/nothing-here")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("not-found"));
  }

  @Test
  void wrongMethodIsProblem() {
    Api.admin()
        .delete("/api/v1/models")
        .then()
        .statusCode(405)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("method-not-allowed"));
  }

  @Test
  void nonJsonAcceptIsProblem() {
    Api.admin()
        .accept("application/xml")
        .get("/api/v1/models")
        .then()
        .statusCode(406)
        .body(containsString("not-acceptable"));
  }

  @Test
  void healthAndOpenApiAreOpen() {
    given().get("/q/health").then().statusCode(200).body("status", equalTo("UP"));
    given()
        .get("/q/health/ready")
        .then()
        .statusCode(200)
        .body("checks.name", org.hamcrest.Matchers.hasItem("Database connections health check"));
    given().get("/q/openapi").then().statusCode(200).body(containsString("/api/v1/models"));
  }

  @Test
  void problemsLeakNoClassNames() {
    Api.adminJson()
        .body("{\"name\": ")
        .post("/api/v1/models")
        .then()
        .statusCode(400)
        .body("detail", not(containsString("com.fasterxml")))
        .body("detail", not(containsString("Exception")));
  }
}
