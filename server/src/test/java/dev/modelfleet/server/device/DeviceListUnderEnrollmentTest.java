package dev.modelfleet.server.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.server.enrollment.EnrollmentService;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A fleet of 10,000 devices listed page by page, the way the CLI walks it, while devices keep
 * enrolling: every device there before the walk began is listed exactly once.
 */
@QuarkusTest
class DeviceListUnderEnrollmentTest {

  private static final int FLEET = 10_000;
  private static final int PAGE = 1000;

  /** At most this many enroll during the walk (each costs key checks; the box is small). */
  private static final int ENROLLING = 100;

  private static final ObjectMapper JSON = new ObjectMapper();

  @Inject AgroalDataSource dataSource;
  @Inject EnrollmentService enrollment;

  private final String run = Api.unique("paging");
  private final SecureRandom random = new SecureRandom();

  @AfterEach
  void removeTheFleet() throws SQLException {
    // the test database outlives the run: other tests should not walk these devices
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      String ours = "(select id from devices where labels @> cast(? as jsonb))";
      for (String table : List.of("device_certificates", "devices")) {
        String column = table.equals("devices") ? "id" : "device_id";
        try (PreparedStatement s =
            c.prepareStatement("delete from " + table + " where " + column + " in " + ours)) {
          s.setString(1, "{\"run\": \"" + run + "\"}");
          s.executeUpdate();
        }
      }
    }
  }

  @Test
  void everyDeviceOfTheFleetIsListedOnceWhileOthersEnroll() throws Exception {
    Instant start = Instant.now().minus(Duration.ofDays(1));
    long began = System.nanoTime();
    Set<String> fleet = insert(FLEET, start, Duration.ofSeconds(5));
    System.out.printf(
        "inserted %d devices in %d ms%n", FLEET, (System.nanoTime() - began) / 1_000_000);
    began = System.nanoTime();

    AtomicBoolean walking = new AtomicBoolean(true);
    AtomicInteger enrolled = new AtomicInteger();
    ExecutorService enrolling = Executors.newSingleThreadExecutor();
    Future<?> enroller;
    {
      String token = Fixtures.enrollmentToken(Map.of("run", run), ENROLLING);
      enroller =
          enrolling.submit(
              () -> {
                // real enrollments (the service Enroll calls), for as long as the walk lasts
                while (walking.get() && enrolled.get() < ENROLLING) {
                  enrollment.enroll(
                      new EnrollmentService.Application(
                          token,
                          AgentClient.newDevicePublicKey(),
                          new byte[0],
                          new byte[0],
                          "paging",
                          null,
                          null,
                          null));
                  enrolled.incrementAndGet();
                }
                return null;
              });

      Map<String, Integer> seen = new HashMap<>();
      int pages = 0;
      int skewed = 0;
      String next = "/api/v1/devices?selector=run%3D" + run + "&limit=" + PAGE;
      while (next != null) {
        var page = Api.admin().urlEncodingEnabled(false).get(next);
        page.then().statusCode(200);
        for (JsonNode device : JSON.readTree(page.asByteArray())) {
          seen.merge(device.path("id").asText(), 1, Integer::sum);
        }
        pages++;
        // a replica with a slow clock: rows land among those already walked and those to come
        skewed += insert(5, start.plusSeconds(random.nextInt(FLEET * 5)), Duration.ZERO).size();
        next = Api.nextLink(page.header("Link"));
      }
      walking.set(false);
      System.out.printf(
          "walked %d pages in %d ms while %d enrolled%n",
          pages, (System.nanoTime() - began) / 1_000_000, enrolled.get());
      enroller.get();
      enrolling.shutdown();

      for (String id : fleet) {
        assertEquals(1, seen.getOrDefault(id, 0), "device " + id + " listed once");
      }
      seen.forEach((id, times) -> assertEquals(1, times, id + " listed once"));
      assertTrue(pages >= FLEET / PAGE, "walked " + pages + " pages");
      assertTrue(
          enrolled.get() > 0 && skewed > 0,
          "devices joined during the walk: " + enrolled + " enrolled, " + skewed + " inserted");
    }
  }

  /** {@code count} active devices of this run, enrolled {@code step} apart from {@code first}. */
  private Set<String> insert(int count, Instant first, Duration step) throws SQLException {
    Set<String> ids = new HashSet<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "insert into devices (id, name, labels, status, public_key, credential_hash,"
                    + " enrolled_at) values (?, ?, cast(? as jsonb), 'active', ?, ?, ?)")) {
      c.setAutoCommit(false);
      for (int i = 0; i < count; i++) {
        UUID id = UUID.randomUUID();
        byte[] key = new byte[44];
        random.nextBytes(key);
        s.setObject(1, id);
        s.setString(2, run + "-" + id.toString().substring(0, 8));
        s.setString(3, "{\"run\": \"" + run + "\"}");
        s.setBytes(4, key);
        s.setString(5, "0".repeat(64));
        s.setTimestamp(6, Timestamp.from(first.plus(step.multipliedBy(i))));
        s.addBatch();
        ids.add(id.toString());
        if (ids.size() % 1_000 == 0) {
          s.executeBatch();
        }
      }
      s.executeBatch();
      c.commit();
    }
    return ids;
  }
}
