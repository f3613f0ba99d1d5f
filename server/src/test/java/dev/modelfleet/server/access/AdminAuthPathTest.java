package dev.modelfleet.server.access;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.Api;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
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

/** Spellings of an admin path that routing may still resolve must not skip the token check. */
@QuarkusTest
class AdminAuthPathTest {

  @TestHTTPResource("/")
  URL base;

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/api/v1/enrollment-tokens",
        "//api/v1/enrollment-tokens",
        "/./api/v1/enrollment-tokens",
        "/x/../api/v1/enrollment-tokens",
        "/api;x/v1/enrollment-tokens",
        "/%61pi/v1/enrollment-tokens",
        "/api%2Fv1/enrollment-tokens",
        "/agent/../api/v1/enrollment-tokens",
        "/agent/v1/artifacts/../../../api/v1/enrollment-tokens",
        "/agent/v1/artifacts/%2e%2e/%2e%2e/%2e%2e/api/v1/enrollment-tokens",
      })
  void noSpellingOfAnAdminPathSkipsTheToken(String path) throws IOException {
    String response = rawGet(path);
    String statusLine = response.lines().findFirst().orElse("");
    assertTrue(!statusLine.contains(" 200"), path + " answered " + statusLine + "\n" + response);
    assertTrue(!response.contains("\"maxUses\""), path + " leaked tokens: " + response);
  }

  /**
   * The check after routing does not rely on the one before it: a request that reaches an admin
   * resource by a route the pre-matching check did not see is refused all the same, and changes
   * nothing.
   */
  @Test
  void anAdminResourceReachedPastThePathCheckStillNeedsAToken() {
    String name = Api.unique("unchecked");
    given()
        .get(UncheckedRoute.PREFIX + "v1/enrollment-tokens")
        .then()
        .statusCode(401)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unauthenticated"));
    given()
        .contentType(ContentType.JSON)
        .body(Map.of("name", name))
        .post(UncheckedRoute.PREFIX + "v1/enrollment-tokens")
        .then()
        .statusCode(401)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unauthenticated"));
    assertTrue(
        Api.listAll("/api/v1/enrollment-tokens", 1000).stream()
            .noneMatch(t -> name.equals(t.get("name"))),
        "a token was created through the unchecked route: " + name);
  }

  /** Sends the path verbatim (HTTP clients normalize it). */
  private String rawGet(String path) throws IOException {
    try (Socket socket = new Socket(base.getHost(), base.getPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
