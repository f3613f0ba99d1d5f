package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.server.access.ApiClients;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.EventStreamClient;
import dev.modelfleet.server.support.EventStreamClient.Event;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The rollout change stream (server-sent events) read over a real HTTP connection while devices
 * speaking the Sync protocol move the rollout along.
 */
@QuarkusTest
class RolloutStreamTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Map<String, Object> FAST =
      Map.of(
          "successThreshold", 100, "failureThreshold", 0, "soakSeconds", 0, "timeoutSeconds", 30);

  @Test
  void anUnknownRolloutIsRefusedWithAProblemBeforeAnyStreamStarts() throws Exception {
    try (EventStreamClient stream =
        EventStreamClient.open("/api/v1/rollouts/" + UUID.randomUUID() + "/stream", Map.of())) {
      assertEquals(404, stream.status());
      assertTrue(stream.contentType().startsWith(Api.PROBLEM_JSON), stream.contentType());
      assertEquals("not-found", JSON.readTree(stream.errorBody()).path("code").asText());
    }
  }

  @Test
  void streamsTheRolloutAtOnceAndOnEveryChangeThenEndsAfterItCompletes() throws Exception {
    try (RolloutFixture f = new RolloutFixture(401)) {
      f.add(3, "cpu-" + f.site, v -> Reaction.ACTIVATE);
      String id = f.start(Map.of("start", false, "defaults", FAST)).getString("id");

      try (EventStreamClient stream =
          EventStreamClient.open("/api/v1/rollouts/" + id + "/stream", Map.of())) {
        assertEquals(200, stream.status());
        assertTrue(stream.contentType().startsWith("text/event-stream"), stream.contentType());
        Event first = stream.next(WAIT);
        assertEquals("rollout", first.type());
        assertFalse(first.data().contains("\n"), "the object is on one data line");
        assertEquals(
            JSON.readTree(admin().get("/api/v1/rollouts/" + id).asString()),
            JSON.readTree(first.data()),
            "the same object as GET /api/v1/rollouts/{id}");

        admin().post("/api/v1/rollouts/" + id + "/start").then().statusCode(200);
        List<Event> events = new ArrayList<>(List.of(first));
        Event event;
        while ((event = stream.next(WAIT)) != null) {
          events.add(event);
        }
        Event end = events.get(events.size() - 1);
        Event last = events.get(events.size() - 2);
        assertEquals("end", end.type());
        assertEquals("completed", JSON.readTree(last.data()).path("state").asText());
        assertEquals(
            3, JSON.readTree(last.data()).path("totals").path("byState").path("active").asInt());
        assertTrue(
            events.stream()
                .filter(e -> "rollout".equals(e.type()))
                .anyMatch(e -> state(e).equals("running")),
            "the running rollout was shown on its way");
        long previous = 0;
        for (Event e : events) {
          long number = Long.parseLong(e.id());
          assertTrue(number > previous, "event ids increase: " + events);
          previous = number;
        }
      }
    }
  }

  @Test
  void aDeviceReportIsPushedEvenWhenNothingElseOfTheRolloutChanges() throws Exception {
    try (RolloutFixture f = new RolloutFixture(402)) {
      f.add(1, "cpu-a-" + f.site, v -> Reaction.ACTIVATE);
      f.add(1, "cpu-b-" + f.site, v -> Reaction.IGNORE);
      // a long soak and timeout: once the devices are told, the engine records nothing for
      // minutes, so what moves the stream is the device's report alone
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      Map.of(
                          "successThreshold",
                          100,
                          "failureThreshold",
                          0,
                          "soakSeconds",
                          600,
                          "timeoutSeconds",
                          600)))
              .getString("id");
      try (EventStreamClient stream =
          EventStreamClient.open("/api/v1/rollouts/" + id + "/stream", Map.of())) {
        Event active = stream.until(e -> e.type().equals("rollout") && activeCount(e) == 1, WAIT);
        assertEquals("running", state(active));

        admin().post("/api/v1/rollouts/" + id + "/abort").then().statusCode(200);
        Event aborted =
            stream.until(e -> !e.type().equals("rollout") || state(e).equals("aborted"), WAIT);
        assertEquals("rollout", aborted.type());
        assertEquals("end", stream.next(WAIT).type());
        assertNull(stream.next(WAIT), "the server closes the stream after the end event");
      }
    }
  }

  @Test
  void aReconnectWithLastEventIdGetsTheCurrentStateAtOnceAndNumberingGoesOn() throws Exception {
    try (RolloutFixture f = new RolloutFixture(403)) {
      f.add(1, "cpu-" + f.site, v -> Reaction.ACTIVATE);
      String id = f.start(Map.of("start", false)).getString("id");
      try (EventStreamClient stream =
          EventStreamClient.open(
              "/api/v1/rollouts/" + id + "/stream", Map.of("Last-Event-ID", "41"))) {
        Event first = stream.next(WAIT);
        assertEquals("42", first.id());
        assertEquals("created", state(first));
        // %test sends keep-alives every second
        Eventually.within(
            Duration.ofSeconds(10),
            () -> assertTrue(stream.comments().contains(": keep-alive"), "" + stream.comments()));
      }
    }
  }

  @Test
  void aViewerMayWatch() throws Exception {
    try (RolloutFixture f = new RolloutFixture(404)) {
      f.add(1, "cpu-" + f.site, v -> Reaction.ACTIVATE);
      String id = f.start(Map.of("start", false)).getString("id");
      ApiClients.Client viewer = ApiClients.create("viewer");
      try (EventStreamClient stream =
          EventStreamClient.open(
              "/api/v1/rollouts/" + id + "/stream", "Bearer " + viewer.secret(), Map.of())) {
        assertEquals(200, stream.status());
        assertEquals(id, JSON.readTree(stream.next(WAIT).data()).path("id").asText());
      }
      try (EventStreamClient refused =
          EventStreamClient.open("/api/v1/rollouts/" + id + "/stream", "Bearer wrong", Map.of())) {
        assertEquals(401, refused.status());
      }
    }
  }

  /**
   * "Another replica" is a raw JDBC connection that changes the rollout and notifies, as a
   * replica's transaction does: this process learns of it only through its cluster listener.
   */
  @Test
  void aChangeCommittedElsewhereIsPushed() throws Exception {
    try (RolloutFixture f = new RolloutFixture(405)) {
      f.add(1, "cpu-" + f.site, v -> Reaction.ACTIVATE);
      String id = f.start(Map.of("start", false)).getString("id");
      try (EventStreamClient stream =
              EventStreamClient.open("/api/v1/rollouts/" + id + "/stream", Map.of());
          Connection other = otherReplica()) {
        stream.next(WAIT);
        String renamed = Api.unique("renamed");
        other.setAutoCommit(false);
        try (PreparedStatement update =
                other.prepareStatement("update rollouts set name = ? where id = ?");
            PreparedStatement notify =
                other.prepareStatement("select pg_notify('modelfleet_rollout_changed', ?)")) {
          update.setString(1, renamed);
          update.setObject(2, UUID.fromString(id));
          update.executeUpdate();
          notify.setString(1, id);
          notify.execute();
        }
        other.commit();
        // the notice of the rollout's creation goes out up to 100 ms after its commit and may
        // arrive first (a reading from before the rename); the rename's must follow
        Event event = stream.until(e -> e.data().contains(renamed), WAIT);
        assertEquals(renamed, JSON.readTree(event.data()).path("name").asText());
      }
    }
  }

  @Test
  void theFleetStreamCarriesEveryRolloutThatChanges() throws Exception {
    try (RolloutFixture f = new RolloutFixture(406);
        EventStreamClient fleet = EventStreamClient.open("/api/v1/rollouts/stream", Map.of())) {
      assertEquals(200, fleet.status());
      f.add(2, "cpu-" + f.site, v -> Reaction.ACTIVATE);
      String id = f.start(Map.of("defaults", FAST)).getString("id");
      Event done =
          fleet.until(
              e -> {
                JsonNode r = tree(e);
                return r.path("id").asText().equals(id)
                    && r.path("state").asText().equals("completed");
              },
              WAIT);
      assertNotNull(done.id());
    }
  }

  private static Connection otherReplica() throws Exception {
    Config config = ConfigProvider.getConfig();
    return DriverManager.getConnection(
        config.getValue("quarkus.datasource.jdbc.url", String.class),
        config.getValue("quarkus.datasource.username", String.class),
        config.getValue("quarkus.datasource.password", String.class));
  }

  private static JsonNode tree(Event e) {
    try {
      return JSON.readTree(e.data());
    } catch (Exception ex) {
      throw new AssertionError("not JSON: " + e.data(), ex);
    }
  }

  private static String state(Event e) {
    return tree(e).path("state").asText();
  }

  private static int activeCount(Event e) {
    return tree(e).path("totals").path("byState").path("active").asInt();
  }
}
