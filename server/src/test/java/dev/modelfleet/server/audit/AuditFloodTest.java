package dev.modelfleet.server.audit;

import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.Eventually;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.Test;

/**
 * Anyone who can reach the port can send unauthenticated calls; they must not be able to grow the
 * audit log (and so the database) with them, while an admin still sees that they happened.
 */
@QuarkusTest
class AuditFloodTest {

  private static final int CALLS = 3000;

  /** The stored path's bound (512 characters) and the note of how long it was. */
  private static final int LONGEST_STORED_PATH = 512 + 20;

  /** The window unauthenticated calls are counted in, as %test sets it. */
  private static final Duration WINDOW = Duration.ofSeconds(1);

  @TestHTTPResource("/")
  URL base;

  @Test
  void thousandsOfUnauthenticatedCallsWithLongPathsAddAFewSmallEntriesThatCountThem()
      throws Exception {
    long lastId = AuditLogTest.lastId();
    long started = System.nanoTime();
    String path = "/api/v1/models/" + "x".repeat(3000) + "/versions";
    sendUnauthenticated(path + "?q=" + "y".repeat(500), CALLS);

    // waits for the counts to be written, or for the entries that show they were not counted
    Eventually.within(
        Duration.ofSeconds(15),
        () -> assertTrue(rows(lastId) > CALLS / 10 || counted(lastId) >= CALLS));
    long windows = Duration.ofNanos(System.nanoTime() - started).dividedBy(WINDOW) + 2;
    long rows = rows(lastId);
    // one entry per window for the one address the calls came from
    assertTrue(
        rows <= windows, rows + " entries for " + CALLS + " calls in " + windows + " windows");
    long bytes = bytes(lastId);
    assertTrue(bytes <= rows * 1024, bytes + " bytes in " + rows + " entries");
    assertTrue(counted(lastId) >= CALLS, "the entries count every call");
    System.out.printf("%d unauthenticated calls: %d entries, %d bytes%n", CALLS, rows, bytes);

    List<Map<String, Object>> entries = anonymous(lastId);
    for (Map<String, Object> entry : entries) {
      assertEquals("unauthenticated", entry.get("outcome"));
      assertEquals(401, entry.get("status"));
      String stored = (String) entry.get("path");
      assertTrue(stored.length() <= LONGEST_STORED_PATH, "stored path of " + stored.length());
      assertTrue(stored.startsWith("/api/v1/models/xxx"), stored);
      assertTrue(!stored.contains("yyy"), "no query is stored");
    }
  }

  @Test
  void anAuthenticatedCallWithALongPathIsRecordedWithItsPathShortened() {
    String name = "n" + "z".repeat(2000);
    admin()
        .contentType("application/json")
        .body(Map.of("version", "1.0.0"))
        .post("/api/v1/models/" + name + "/versions")
        .then()
        .statusCode(404);
    Map<String, Object> entry =
        admin()
            .queryParam("actor", "admin")
            .queryParam("limit", 1)
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getMap("[0]");
    String stored = (String) entry.get("path");
    assertTrue(stored.startsWith("/api/v1/models/nzzz"), stored);
    assertTrue(
        stored.endsWith("[" + ("/api/v1/models/" + name + "/versions").length() + " chars]"),
        stored);
    assertTrue(stored.length() <= LONGEST_STORED_PATH, "stored path of " + stored.length());
    assertTrue(((String) entry.get("target")).length() <= LONGEST_STORED_PATH);
    assertEquals(1, entry.get("count"));
  }

  /** Sends the calls 16 at a time, each with a long user agent, and checks each is refused. */
  private void sendUnauthenticated(String pathAndQuery, int calls) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base.toString()).resolve(pathAndQuery))
            .header("Content-Type", "application/json")
            .header("User-Agent", "flood/" + "u".repeat(2000))
            .POST(HttpRequest.BodyPublishers.ofString("{\"version\": \"1\"}"))
            .build();
    Semaphore inFlight = new Semaphore(16);
    List<CompletableFuture<Integer>> answers = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      inFlight.acquire();
      answers.add(
          client
              .sendAsync(request, HttpResponse.BodyHandlers.discarding())
              .thenApply(HttpResponse::statusCode)
              .whenComplete((status, error) -> inFlight.release()));
    }
    for (CompletableFuture<Integer> answer : answers) {
      assertEquals(401, answer.get());
    }
  }

  /** The unauthenticated entries after lastId, as an admin reads them. */
  private static List<Map<String, Object>> anonymous(long lastId) {
    List<Map<String, Object>> all =
        admin()
            .queryParam("limit", 1000)
            .queryParam("since", Instant.now().minusSeconds(600).toString())
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getList("$");
    return all.stream()
        .filter(e -> ((Number) e.get("id")).longValue() > lastId && e.get("actor") == null)
        .toList();
  }

  /** How many calls the admin sees counted, an entry without a count standing for one. */
  private static long counted(long lastId) {
    return anonymous(lastId).stream()
        .mapToLong(e -> e.get("count") == null ? 1 : ((Number) e.get("count")).longValue())
        .sum();
  }

  private static long rows(long lastId) {
    return query("select count(*) from audit_log where id > ? and actor is null", lastId);
  }

  private static long bytes(long lastId) {
    return query(
        "select coalesce(sum(pg_column_size(a.*)), 0) from audit_log a"
            + " where id > ? and actor is null",
        lastId);
  }

  private static long query(String sql, long lastId) {
    AgroalDataSource dataSource = Arc.container().instance(AgroalDataSource.class).get();
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setLong(1, lastId);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
