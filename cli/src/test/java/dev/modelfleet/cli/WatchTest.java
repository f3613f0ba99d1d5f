package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import dev.modelfleet.cli.support.Rollouts;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rollouts watch against a server that speaks the rollout change stream as agreed: {@code event:
 * rollout} with the rollout object, {@code id:} increasing, keep-alive comments, {@code event: end}
 * after a final state; reconnection with Last-Event-ID.
 */
class WatchTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "3b1f0c2d-1111-2222-3333-444455556666";
  private static final String STREAM = "/api/v1/rollouts/" + ID + "/stream";

  @TempDir Path dir;
  private FakeServer server;

  @BeforeEach
  void start() {
    server = FakeServer.http();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private static void events(HttpExchange exchange, String... frames) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
    exchange.sendResponseHeaders(200, 0);
    try (OutputStream out = exchange.getResponseBody()) {
      for (String frame : frames) {
        out.write(frame.getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
    }
  }

  private static String rollout(int id, JsonNode rollout) {
    return "event: rollout\nid: " + id + "\ndata: " + rollout + "\n\n";
  }

  @Test
  void followsTheRolloutToCompletionAndExits0() {
    server.on(
        "GET",
        STREAM,
        (exchange, request) ->
            events(
                exchange,
                rollout(1, Rollouts.rollout(ID, "running", 2, 0, 3, 0, "wave-started")),
                ": keep-alive\n\n",
                rollout(
                    2,
                    Rollouts.rollout(ID, "running", 2, 1, 4, 0, "wave-started", "wave-succeeded")),
                rollout(
                    3,
                    Rollouts.rollout(
                        ID,
                        "completed",
                        2,
                        1,
                        10,
                        0,
                        "wave-started",
                        "wave-succeeded",
                        "completed")),
                "event: end\ndata: {}\n\n"));

    Cli.Result result =
        new Cli(dir.resolve("c.yaml")).against(server, "t").run("rollouts", "watch", ID);

    assertEquals(0, result.exit(), result.toString());
    assertEquals("text/event-stream", server.requests("GET", STREAM).get(0).header("Accept"));
    List<String> lines = result.out().lines().toList();
    assertEquals(
        "10:00:00 rollout detector 2 to plant-a ("
            + ID
            + "): detector 2 to selector 'site=plant-a'",
        lines.get(0));
    assertTrue(
        lines.contains(
            "10:00:00 wave 1 running: active 3/10 · downloading 7; gate: 3 judged · errors 0.10 % (was 0.10 %) · p95 4.2 ms (was 4.0 ms) · fallbacks 0 · unhealthy 0"),
        result.out());
    assertTrue(lines.contains("10:00:00 wave 2 waiting: active 0/10 · waiting 10"), result.out());
    assertTrue(
        lines.contains("09:58:00 engine wave-started (wave 1): wave-started detail"), result.out());
    assertEquals(
        1,
        lines.stream().filter(l -> l.contains("wave-started detail")).count(),
        "each event once");
    assertTrue(
        lines.contains(
            "10:00:00 state completed · wave 2 of 2 · 20 of 20 active (100.0 %) · 1m30s"),
        result.out());
    assertEquals(
        "rollout completed: 20 of 20 device(s) active after 1m30s", lines.get(lines.size() - 1));
    assertTrue(result.out().chars().noneMatch(c -> c == 0x1b || c == '\r'), "plain when piped");
  }

  @Test
  void aDroppedConnectionIsOpenedAgainWithTheLastEventId() {
    AtomicInteger connections = new AtomicInteger();
    server.on(
        "GET",
        STREAM,
        (exchange, request) -> {
          if (connections.incrementAndGet() == 1) {
            // the first connection breaks after one event, without an end
            events(exchange, rollout(41, Rollouts.rollout(ID, "running", 2, 0, 3, 0)));
          } else {
            events(
                exchange,
                rollout(42, Rollouts.rollout(ID, "completed", 2, 1, 10, 0)),
                "event: end\ndata: {}\n\n");
          }
        });

    Cli.Result result =
        new Cli(dir.resolve("c.yaml")).against(server, "t").run("rollouts", "watch", ID);

    assertEquals(0, result.exit(), result.toString());
    List<FakeServer.Request> requests = server.requests("GET", STREAM);
    assertEquals(2, requests.size());
    assertEquals(null, requests.get(0).header("Last-Event-ID"));
    assertEquals("41", requests.get(1).header("Last-Event-ID"));
  }

  @Test
  void aPauseEndsTheWatchWith4AndSaysWhatToDo() {
    server.on(
        "GET",
        STREAM,
        (exchange, request) ->
            events(
                exchange,
                rollout(1, Rollouts.rollout(ID, "running", 2, 1, 5, 2)),
                rollout(2, Rollouts.rollout(ID, "paused", 2, 1, 5, 3))));
    Cli.Result result =
        new Cli(dir.resolve("c.yaml")).against(server, "t").run("rollouts", "watch", ID);
    assertEquals(ExitCode.REFUSED, result.exit(), result.toString());
    assertTrue(
        result.out().contains("rollout paused: wave 2: 3 of 10 devices failed"), result.out());
    assertTrue(
        result
            .out()
            .contains(
                "hint: resume it (accepting the failures so far): modelfleet rollouts resume "
                    + ID),
        result.out());
  }

  @Test
  void withNoExitOnPauseItWatchesThroughAPauseUntilTheEnd() {
    server.on(
        "GET",
        STREAM,
        (exchange, request) ->
            events(
                exchange,
                rollout(1, Rollouts.rollout(ID, "paused", 2, 1, 5, 3)),
                rollout(2, Rollouts.rollout(ID, "rolled_back", 2, 1, 5, 3)),
                "event: end\ndata: {}\n\n"));
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run("rollouts", "watch", ID, "--no-exit-on-pause");
    assertEquals(ExitCode.REFUSED, result.exit(), result.toString());
    assertTrue(result.out().contains("rollout rolled back"), result.out());
  }

  @Test
  void jsonPrintsEachStateAsOneLineOfTheApisObject() throws Exception {
    server.on(
        "GET",
        STREAM,
        (exchange, request) ->
            events(
                exchange,
                rollout(1, Rollouts.rollout(ID, "running", 1, 0, 3, 0)),
                rollout(2, Rollouts.rollout(ID, "completed", 1, 0, 10, 0)),
                "event: end\ndata: {}\n\n"));
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run("rollouts", "watch", ID, "-o", "json");
    assertEquals(0, result.exit(), result.toString());
    List<String> lines = result.out().lines().toList();
    assertEquals(2, lines.size(), result.out());
    assertEquals("running", JSON.readTree(lines.get(0)).path("state").asText());
    assertEquals(Rollouts.rollout(ID, "completed", 1, 0, 10, 0), JSON.readTree(lines.get(1)));
    assertTrue(result.err().contains("rollout completed"), result.err());
  }

  @Test
  void aServerWithoutTheStreamIsAskedEveryTwoSeconds() {
    AtomicInteger gets = new AtomicInteger();
    server.on(
        "GET",
        "/api/v1/rollouts/" + ID,
        (exchange, request) ->
            FakeServer.send(
                exchange,
                200,
                "application/json",
                (gets.incrementAndGet() < 3
                        ? Rollouts.rollout(ID, "running", 1, 0, 3, 0)
                        : Rollouts.rollout(ID, "completed", 1, 0, 10, 0))
                    .toString()));
    Cli.Result result =
        new Cli(dir.resolve("c.yaml")).against(server, "t").run("rollouts", "watch", ID);
    assertEquals(0, result.exit(), result.toString());
    assertTrue(result.err().contains("the server has no rollout change stream"), result.err());
    assertTrue(result.out().contains("rollout completed"), result.out());
  }

  @Test
  void anUnknownRolloutIsNotFound() {
    Cli.Result result =
        new Cli(dir.resolve("c.yaml")).against(server, "t").run("rollouts", "watch", ID);
    assertEquals(ExitCode.NOT_FOUND, result.exit(), result.toString());
  }
}
