package dev.modelfleet.server.access;

import static io.restassured.RestAssured.given;

import dev.modelfleet.server.support.Api;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.util.Map;

/** API tokens made through the API, and requests made with them. */
public final class ApiClients {

  private ApiClients() {}

  public record Client(String id, String name, String role, String secret) {

    public RequestSpecification call() {
      return given().header("Authorization", "Bearer " + secret);
    }

    public RequestSpecification json() {
      return call().contentType(ContentType.JSON);
    }
  }

  public static Client create(String role) {
    String name = Api.unique(role);
    JsonPath created =
        Api.adminJson()
            .body(Map.of("name", name, "role", role))
            .post("/api/v1/access/tokens")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath();
    return new Client(created.getString("apiToken.id"), name, role, created.getString("token"));
  }
}
