package dev.modelfleet.server.support;

import static io.restassured.RestAssured.given;

import io.restassured.http.ContentType;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Admin API helpers shared by the tests. */
public final class Api {

  public static final String ADMIN_TOKEN = "test-admin-token";
  public static final String PROBLEM_JSON = "application/problem+json";

  private static final Pattern NEXT = Pattern.compile("<([^>]*)>;\\s*rel=\"next\"");

  private Api() {}

  public static RequestSpecification admin() {
    return given().header("Authorization", "Bearer " + ADMIN_TOKEN);
  }

  public static RequestSpecification adminJson() {
    return admin().contentType(ContentType.JSON);
  }

  /**
   * Every item of a paged list, following its {@code Link: <...>; rel="next"} headers from {@code
   * path} (which may carry a query) with pages of {@code limit}.
   */
  public static List<Map<String, Object>> listAll(String path, int limit) {
    List<Map<String, Object>> items = new ArrayList<>();
    String next = path + (path.contains("?") ? "&" : "?") + "limit=" + limit;
    while (next != null) {
      Response page = admin().urlEncodingEnabled(false).get(next);
      page.then().statusCode(200);
      items.addAll(page.jsonPath().getList("$"));
      next = nextLink(page.header("Link"));
    }
    return items;
  }

  /** The target of a {@code rel="next"} link, or null. */
  public static String nextLink(String link) {
    if (link == null) {
      return null;
    }
    Matcher m = NEXT.matcher(link);
    return m.find() ? m.group(1) : null;
  }

  /** A name no other test uses, so tests never depend on each other's data or order. */
  public static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
