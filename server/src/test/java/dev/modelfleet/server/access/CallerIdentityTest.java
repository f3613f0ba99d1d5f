package dev.modelfleet.server.access;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.access.ApiClients.Client;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Fixtures.Published;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The caller's name reaches what it changes, and cannot be chosen by the client. */
@QuarkusTest
class CallerIdentityTest {

  @TestHTTPResource("/")
  URL base;

  @Test
  void rolloutRecordsTheOperatorWhoCreatedIt() throws Exception {
    Published published = Fixtures.publishedClassifier(4242);
    String site = Api.unique("site");
    try (AgentClient agent = new AgentClient()) {
      agent.enroll(Fixtures.enrollmentToken(Map.of("site", site), 1));
    }
    Client operator = ApiClients.create("operator");
    operator
        .json()
        .header("X-ModelFleet-Actor", "someone-else")
        .body(
            Map.of(
                "model",
                published.model(),
                "version",
                published.version(),
                "selector",
                "site=" + site))
        .post("/api/v1/rollouts")
        .then()
        .statusCode(201)
        .body("createdBy", equalTo(operator.name()))
        .body("events.actor", hasItem(operator.name()));
  }

  @Test
  void bootstrapAdminIsNamed() {
    Published published = Fixtures.publishedClassifier(4343);
    String site = Api.unique("site");
    try (AgentClient agent = new AgentClient()) {
      agent.enroll(Fixtures.enrollmentToken(Map.of("site", site), 1));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    Api.adminJson()
        .body(
            Map.of(
                "model",
                published.model(),
                "version",
                published.version(),
                "selector",
                "site=" + site))
        .post("/api/v1/rollouts")
        .then()
        .statusCode(201)
        .body("createdBy", equalTo("admin"));
  }

  /** Spellings that routing may resolve to the admin-only resource must not let an operator in. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "/api/v1/access/tokens",
        "//api/v1/access/tokens",
        "/api/v1//access/tokens",
        "/api/v1/./access/tokens",
        "/api/v1/x/../access/tokens",
        "/api/v1/%61ccess/tokens",
        "/api/v1/access;x/tokens",
        "/api/v1/access/tokens/",
        "/api/v1/AUDIT",
        "/api/v1/audit/",
        "/api/v1/./audit",
        "/api/v1/%61udit",
        "/api/v1/./system/ingest",
        "/api/v1/%73ystem/ingest",
      })
  void noSpellingOfAnAdminPathLetsAnOperatorIn(String path) throws IOException {
    Client operator = ApiClients.create("operator");
    String response = rawGet(path, operator.secret());
    String statusLine = response.lines().findFirst().orElse("");
    assertTrue(!statusLine.contains(" 200"), path + " answered " + statusLine + "\n" + response);
    assertTrue(!response.contains("\"role\""), path + " leaked tokens: " + response);
    assertTrue(
        !response.contains("connectedDevices"), path + " leaked ingest figures: " + response);
  }

  @Test
  void noTokenNoEntry() {
    given().get("/api/v1/access/tokens").then().statusCode(401);
  }

  private String rawGet(String path, String token) throws IOException {
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET "
                  + path
                  + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                  + token
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
