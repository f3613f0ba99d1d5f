package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of failure has its exit status, and says in one line what happened and what to do. */
class ErrorsTest {

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

  private Cli.Result run(String... args) {
    return new Cli(dir.resolve("config.yaml")).against(server, "t").run(args);
  }

  @Test
  void aConflictIsOneLineWithItsCodeAndAHint() {
    server.on(
        "POST",
        "/api/v1/models/x/versions/1/assignments",
        (exchange, request) ->
            FakeServer.problem(
                exchange,
                409,
                "rollout-conflict",
                "Rollout 'r' of model 'x' holds 3 of the selected devices."));
    Cli.Result result = run("assign", "x", "1", "--selector", "site=a");
    assertEquals(ExitCode.REFUSED, result.exit(), result.toString());
    assertEquals(
        "error: rollout-conflict: Rollout 'r' of model 'x' holds 3 of the selected devices."
            + " (HTTP 409)\n"
            + "hint: wait for the other rollout, abort it (modelfleet rollouts abort ID), or create"
            + " this one with --on-conflict queue\n",
        result.err());
    assertEquals("", result.out());
  }

  @Test
  void notFoundIs3() {
    Cli.Result result = run("models", "get", "nope");
    assertEquals(ExitCode.NOT_FOUND, result.exit(), result.toString());
    assertTrue(result.err().startsWith("error: not-found: "), result.err());
  }

  @Test
  void unauthorizedAndForbiddenAre5AndSayWhatToDo() {
    server.on(
        "GET",
        "/api/v1/models",
        (exchange, request) ->
            FakeServer.problem(exchange, 401, "unauthenticated", "Missing or wrong token."));
    server.on(
        "GET",
        "/api/v1/audit",
        (exchange, request) ->
            FakeServer.problem(exchange, 403, "forbidden", "A viewer may not read the audit log."));
    Cli.Result unauthorized = run("models", "list");
    assertEquals(ExitCode.UNAUTHORIZED, unauthorized.exit());
    assertTrue(
        unauthorized
            .err()
            .contains("hint: the token is wrong, expired or revoked: run modelfleet login"),
        unauthorized.err());
    Cli.Result forbidden = run("audit");
    assertEquals(ExitCode.UNAUTHORIZED, forbidden.exit());
    assertTrue(
        forbidden
            .err()
            .contains("error: forbidden: A viewer may not read the audit log. (HTTP 403)"),
        forbidden.err());
  }

  @Test
  void aServerErrorIs6AndABodyThatIsNoProblemIsQuotedByItsFirstLine() {
    server.on(
        "GET",
        "/api/v1/models",
        (exchange, request) ->
            FakeServer.send(exchange, 502, "text/html", "<html>Bad gateway\nmore</html>"));
    Cli.Result result = run("models", "list");
    assertEquals(ExitCode.SERVER_ERROR, result.exit(), result.toString());
    assertTrue(
        result.err().startsWith("error: the server answered: <html>Bad gateway (HTTP 502)"),
        result.err());
  }

  @Test
  void anUnreachableServerIs7() throws Exception {
    int closed;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closed = socket.getLocalPort();
    }
    Cli.Result result =
        new Cli(dir.resolve("config.yaml"))
            .env("MODELFLEET_SERVER", "http://127.0.0.1:" + closed)
            .env("MODELFLEET_TOKEN", "t")
            .run("devices", "list");
    assertEquals(ExitCode.UNREACHABLE, result.exit(), result.toString());
    assertTrue(result.err().contains("connection refused"), result.err());
    assertTrue(result.err().contains("hint: check the server URL"), result.err());
  }

  @Test
  void somethingThatIsNoModelFleetServerIs7() {
    server.on(
        "GET",
        "/api/v1/models",
        (exchange, request) -> FakeServer.send(exchange, 200, "text/html", "<html>welcome</html>"));
    Cli.Result result = run("models", "list");
    assertEquals(ExitCode.UNREACHABLE, result.exit(), result.toString());
    assertTrue(result.err().contains("not the JSON of a ModelFleet server"), result.err());
  }

  @Test
  void usageErrorsAre2WithAPointerToHelp() {
    Cli.Result unknown = run("devices", "lsit");
    assertEquals(ExitCode.USAGE, unknown.exit());
    assertTrue(unknown.err().startsWith("error: Unmatched argument"), unknown.err());
    Cli.Result missing = run("variants", "push", "m", "1", "model.onnx");
    assertEquals(ExitCode.USAGE, missing.exit());
    assertTrue(missing.err().contains("Missing required options"), missing.err());
    Cli.Result badFormat = run("devices", "list", "-o", "xml");
    assertEquals(ExitCode.USAGE, badFormat.exit(), badFormat.toString());
    assertTrue(badFormat.err().contains("use one of: table, wide, json, yaml"), badFormat.err());
    assertEquals(0, server.requests().size(), "nothing was sent");
  }

  @Test
  void textTheServerChoseCannotDriveTheTerminal() {
    server.on(
        "GET",
        "/api/v1/models/x",
        (exchange, request) ->
            FakeServer.problem(exchange, 404, "not-found", "no \\u001b[2Jmodel"));
    Cli.Result result = run("models", "get", "x");
    assertTrue(result.err().contains("no \\u001b[2Jmodel"), result.err());
    assertTrue(result.err().chars().noneMatch(c -> c == 0x1b), "no escape character printed");
  }
}
