package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lists follow the server's {@code Link: <...>; rel="next"} header page by page, printing each page
 * as it comes, and give every item exactly once.
 */
class PaginationTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DEVICES = 1234;
  private static final int PAGE = 500;

  @TempDir Path dir;
  private FakeServer server;

  @BeforeEach
  void aFleetServedPageByPage() {
    server = FakeServer.http();
    server.on(
        "GET",
        "/api/v1/devices",
        (exchange, request) -> {
          Map<String, String> query = query(request.query());
          int limit = Integer.parseInt(query.getOrDefault("limit", "100"));
          int from = Integer.parseInt(query.getOrDefault("after", "0"));
          int to = Math.min(DEVICES, from + limit);
          List<Map<String, Object>> page = new ArrayList<>();
          for (int i = from; i < to; i++) {
            page.add(
                Map.of(
                    "id",
                    "device-" + i,
                    "name",
                    "cam-" + i,
                    "status",
                    "active",
                    "labels",
                    Map.of("n", Integer.toString(i))));
          }
          if (to < DEVICES) {
            exchange
                .getResponseHeaders()
                .add(
                    "Link",
                    "</api/v1/devices?limit="
                        + limit
                        + "&after="
                        + to
                        + (query.containsKey("status") ? "&status=" + query.get("status") : "")
                        + ">; rel=\"next\"");
          }
          FakeServer.send(exchange, 200, "application/json", JSON.writeValueAsString(page));
        });
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void jsonIsOneArrayOfEveryDeviceAcrossPagesEachOnce() throws Exception {
    Cli.Result result =
        new Cli(dir.resolve("config.yaml"))
            .against(server, "t0k3n")
            .run("devices", "list", "--status", "active", "-o", "json");

    assertEquals(0, result.exit(), result.toString());
    JsonNode devices = JSON.readTree(result.out());
    assertEquals(DEVICES, devices.size());
    for (int i = 0; i < DEVICES; i++) {
      assertEquals("device-" + i, devices.get(i).path("id").asText());
    }
    List<FakeServer.Request> pages = server.requests("GET", "/api/v1/devices");
    assertEquals(3, pages.size(), "1234 devices in pages of 500");
    assertEquals("status=active&limit=500", pages.get(0).query());
    assertEquals("limit=500&after=500&status=active", pages.get(1).query());
    for (FakeServer.Request page : pages) {
      assertEquals("Bearer t0k3n", page.header("Authorization"));
    }
  }

  @Test
  void yamlIsTheSameList() throws Exception {
    Cli.Result result =
        new Cli(dir.resolve("config.yaml"))
            .against(server, "t")
            .run("devices", "list", "-o", "yaml");
    assertEquals(0, result.exit(), result.toString());
    JsonNode devices = new YAMLMapper().readTree(result.out());
    assertEquals(DEVICES, devices.size());
    assertEquals("1233", devices.get(DEVICES - 1).path("labels").path("n").asText());
  }

  @Test
  void theTablePrintsItsHeaderOnceAndARowPerDevice() {
    Cli.Result result =
        new Cli(dir.resolve("config.yaml")).against(server, "t").run("devices", "list");
    assertEquals(0, result.exit(), result.toString());
    List<String> lines = result.out().lines().toList();
    assertEquals(DEVICES + 1, lines.size());
    assertTrue(lines.get(0).startsWith("ID"), lines.get(0));
    assertTrue(lines.get(0).contains("LABELS"), lines.get(0));
    assertFalse(lines.get(0).contains("HARDWARE CLASS"), "a wide column only with -o wide");
    assertTrue(lines.get(DEVICES).startsWith("device-1233 "), lines.get(DEVICES));
    assertEquals(1, lines.stream().filter(l -> l.startsWith("ID")).count());

    Cli.Result wide =
        new Cli(dir.resolve("config.yaml"))
            .against(server, "t")
            .run("devices", "list", "-o", "wide");
    assertTrue(wide.out().lines().findFirst().orElseThrow().contains("HARDWARE CLASS"));
  }

  @Test
  void limitStopsAfterThatManyWithoutAskingForMorePages() throws Exception {
    Cli.Result result =
        new Cli(dir.resolve("config.yaml"))
            .against(server, "t")
            .run("devices", "list", "--limit", "7", "-o", "json");
    assertEquals(0, result.exit(), result.toString());
    assertEquals(7, JSON.readTree(result.out()).size());
    List<FakeServer.Request> pages = server.requests("GET", "/api/v1/devices");
    assertEquals(1, pages.size());
    assertEquals("limit=7", pages.get(0).query());
  }

  @Test
  void aServerWithoutLinkHeadersGivesOnePage() throws Exception {
    server.json("GET", "/api/v1/rollouts", 200, "[{\"id\":\"r1\"},{\"id\":\"r2\"}]");
    Cli.Result result =
        new Cli(dir.resolve("config.yaml"))
            .against(server, "t")
            .run("rollouts", "list", "-o", "json");
    assertEquals(0, result.exit(), result.toString());
    assertEquals(2, JSON.readTree(result.out()).size());
    assertEquals(1, server.requests("GET", "/api/v1/rollouts").size());
  }

  @Test
  void anEmptyListIsAnEmptyArrayOrANoteOnStandardError() throws Exception {
    server.json("GET", "/api/v1/rollouts", 200, "[]");
    Cli.Result json =
        new Cli(dir.resolve("config.yaml"))
            .against(server, "t")
            .run("rollouts", "list", "-o", "json");
    assertEquals(0, JSON.readTree(json.out()).size());
    Cli.Result table =
        new Cli(dir.resolve("config.yaml")).against(server, "t").run("rollouts", "list");
    assertEquals("", table.out());
    assertEquals("No rollouts.\n", table.err());
  }

  @Test
  void aNextLinkToAnotherServerIsNotFollowedAndTheTokenStaysHome() {
    try (FakeServer elsewhere = FakeServer.http()) {
      elsewhere.json("GET", "/api/v1/rollouts", 200, "[]");
      server.on(
          "GET",
          "/api/v1/rollouts",
          (exchange, request) -> {
            exchange
                .getResponseHeaders()
                .add("Link", "<" + elsewhere.uri() + "/api/v1/rollouts?after=x>; rel=\"next\"");
            FakeServer.send(exchange, 200, "application/json", "[{\"id\":\"r1\"}]");
          });
      Cli.Result result =
          new Cli(dir.resolve("config.yaml")).against(server, "secret").run("rollouts", "list");
      assertEquals(ExitCode.SERVER_ERROR, result.exit(), result.toString());
      assertTrue(result.err().contains("leads elsewhere"), result.err());
      assertEquals(List.of(), elsewhere.requests());
    }
  }

  @Test
  void aNextLinkThatRepeatsAPageEndsWithAnErrorInsteadOfLoopingForever() {
    server.on(
        "GET",
        "/api/v1/rollouts",
        (exchange, request) -> {
          exchange.getResponseHeaders().add("Link", "</api/v1/rollouts?limit=500>; rel=\"next\"");
          FakeServer.send(exchange, 200, "application/json", "[{\"id\":\"r1\"}]");
        });
    Cli.Result result =
        new Cli(dir.resolve("config.yaml")).against(server, "t").run("rollouts", "list");
    assertEquals(ExitCode.SERVER_ERROR, result.exit(), result.toString());
    assertTrue(result.err().contains("repeats a page"), result.err());
  }

  private static Map<String, String> query(String query) {
    Map<String, String> out = new HashMap<>();
    if (query == null) {
      return out;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      out.put(
          URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }
}
