package dev.modelfleet.server.common;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.matchesPattern;

import dev.modelfleet.server.support.Api;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Every admin API answer names its request id, the one its log lines carry (request_id). */
@QuarkusTest
class RequestIdTest {

  @Test
  void aCallersRequestIdIsKeptAndAnsweredBack() {
    Api.admin()
        .header("X-Request-Id", "proxy-7f3a.42")
        .get("/api/v1/devices")
        .then()
        .statusCode(200)
        .header("X-Request-Id", equalTo("proxy-7f3a.42"));
  }

  @Test
  void withoutOneOrWithAnUnsafeOneTheServerMakesOne() {
    String uuid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    given()
        .get("/api/v1/devices")
        .then()
        .statusCode(401)
        .header("X-Request-Id", matchesPattern(uuid));
    Api.admin()
        .header("X-Request-Id", "two words\" {}")
        .get("/api/v1/devices")
        .then()
        .header("X-Request-Id", matchesPattern(uuid));
  }
}
