package dev.modelfleet.server.support;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.specification.RequestSpecification;
import java.util.UUID;

/** Admin API helpers shared by the tests. */
public final class Api {

  public static final String ADMIN_TOKEN = "test-admin-token";
  public static final String PROBLEM_JSON = "application/problem+json";

  private Api() {}

  public static RequestSpecification admin() {
    return given().header("Authorization", "Bearer " + ADMIN_TOKEN);
  }

  public static RequestSpecification adminJson() {
    return admin().contentType(ContentType.JSON);
  }

  /** A name no other test uses, so tests never depend on each other's data or order. */
  public static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
