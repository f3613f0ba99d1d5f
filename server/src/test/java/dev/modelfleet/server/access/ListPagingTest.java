package dev.modelfleet.server.access;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.access.ApiClients.Client;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Paging of the lists other than devices and rollouts: the shared rules on every list (limit and
 * cursor checks), then each family walked page by page.
 */
@QuarkusTest
class ListPagingTest {

  private static final String SOME_ID = UUID.randomUUID().toString();

  /** Every list that can grow; ids in the path may name nothing: paging is checked first. */
  private static final List<String> LISTS =
      List.of(
          "/api/v1/devices",
          "/api/v1/devices/" + SOME_ID + "/history",
          "/api/v1/rollouts",
          "/api/v1/rollouts/" + SOME_ID + "/devices",
          "/api/v1/audit",
          "/api/v1/enrollment-tokens",
          "/api/v1/access/tokens",
          "/api/v1/models/no-such-model/versions/1/trials",
          "/api/v1/models/no-such-model/versions/1/derivations");

  @Inject AgroalDataSource dataSource;

  @Test
  void everyListRefusesALimitOutOfRangeAndACursorItDidNotGive() {
    String foreign = Base64.getUrlEncoder().withoutPadding().encodeToString("x|y|z".getBytes());
    for (String list : LISTS) {
      for (String limit : new String[] {"0", "1001", "ten"}) {
        admin()
            .queryParam("limit", limit)
            .get(list)
            .then()
            .statusCode(400)
            .contentType(PROBLEM_JSON)
            .body("code", equalTo("invalid-request"))
            .body("detail", containsString("from 1 to 1000"));
      }
      // a cursor of another shape is told apart once the list is found (an unknown id: 404)
      boolean found = !list.contains(SOME_ID) && !list.contains("no-such-model");
      for (String cursor : found ? new String[] {"***", foreign} : new String[] {"***"}) {
        admin()
            .queryParam("after", cursor)
            .get(list)
            .then()
            .statusCode(400)
            .contentType(PROBLEM_JSON)
            .body("code", equalTo("invalid-request"))
            .body("detail", containsString("'after'"));
      }
    }
  }

  @Test
  void enrollmentTokensPageOldestFirst() {
    List<String> ours = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ours.add(Fixtures.enrollmentTokenCreated(Map.of(), 1).getString("enrollmentToken.id"));
    }
    assertOnceInOrder(ours, ids("/api/v1/enrollment-tokens", 1000));
    assertFullPageLinksOn("/api/v1/enrollment-tokens");
  }

  @Test
  void accessTokensPageOldestFirst() {
    List<String> ours = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ours.add(ApiClients.create("viewer").id());
    }
    assertOnceInOrder(ours, ids("/api/v1/access/tokens", 1000));
    assertFullPageLinksOn("/api/v1/access/tokens");
  }

  @Test
  void auditPagesNewestFirstWithItsFilters() {
    Client operator = ApiClients.create("operator");
    for (int i = 0; i < 3; i++) {
      operator
          .json()
          .body(Map.of("name", Api.unique("audited")))
          .post("/api/v1/enrollment-tokens")
          .then()
          .statusCode(201);
    }
    List<Map<String, Object>> entries = Api.listAll("/api/v1/audit?actor=" + operator.name(), 1);
    assertEquals(3, entries.size(), "the operator's three calls, one a page");
    List<Long> ids = entries.stream().map(e -> ((Number) e.get("id")).longValue()).toList();
    for (int i = 1; i < ids.size(); i++) {
      assertTrue(ids.get(i) < ids.get(i - 1), "newest first: " + ids);
      assertTrue(
          Instant.parse((String) entries.get(i).get("at"))
                  .compareTo(Instant.parse((String) entries.get(i - 1).get("at")))
              <= 0);
    }
  }

  @Test
  void deviceHistoryPagesNewestFirst() throws Exception {
    String device;
    try (AgentClient agent = new AgentClient()) {
      device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1)).getDeviceId();
    }
    Instant at = Instant.parse("2026-11-01T00:00:00Z");
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "insert into deployment_history (device_id, model, version, kind, cause, at)"
                    + " values (?, 'm', ?, 'desired', 'assignment', ?)")) {
      for (int i = 1; i <= 5; i++) {
        s.setObject(1, UUID.fromString(device));
        s.setString(2, Integer.toString(i));
        // same time for all: the id decides
        s.setTimestamp(3, Timestamp.from(at));
        s.executeUpdate();
      }
    }
    List<String> versions =
        Api.listAll("/api/v1/devices/" + device + "/history", 2).stream()
            .map(h -> (String) h.get("version"))
            .toList();
    assertEquals(List.of("5", "4", "3", "2", "1"), versions);
  }

  private static List<String> ids(String path, int limit) {
    return Api.listAll(path, limit).stream().map(t -> (String) t.get("id")).toList();
  }

  private static void assertOnceInOrder(List<String> ours, List<String> listed) {
    List<String> seen = listed.stream().filter(ours::contains).toList();
    assertEquals(ours, seen, "each once, in the order they were made");
  }

  private static void assertFullPageLinksOn(String path) {
    Response page = admin().queryParam("limit", 2).get(path);
    page.then().statusCode(200).body("size()", equalTo(2));
    String next = Api.nextLink(page.header("Link"));
    assertNotNull(next);
    assertTrue(next.startsWith(path + "?") && next.contains("limit=2"), next);
    // the next page starts after the last one given
    Response second = admin().urlEncodingEnabled(false).get(next);
    second.then().statusCode(200);
    List<String> first = page.jsonPath().getList("id");
    List<String> then = second.jsonPath().getList("id");
    assertTrue(then.stream().noneMatch(first::contains), first + " then " + then);
  }
}
