package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * login checks the token and saves a context owner-only; contexts and environment pick the server.
 */
class ContextsTest {

  @TempDir Path dir;
  private Path config;
  private FakeServer prod;
  private FakeServer staging;

  @BeforeEach
  void twoServers() {
    config = dir.resolve("modelfleet").resolve("config.yaml");
    prod = server("prod-token");
    staging = server("staging-token");
  }

  private static FakeServer server(String token) {
    FakeServer server = FakeServer.http();
    server.on(
        "GET",
        "/api/v1/trust/root.pem",
        (exchange, request) -> {
          if (("Bearer " + token).equals(request.header("Authorization"))) {
            FakeServer.send(
                exchange, 200, "application/x-pem-file", "-----BEGIN PUBLIC KEY-----\n");
          } else {
            FakeServer.problem(exchange, 401, "unauthenticated", "Missing or wrong token.");
          }
        });
    server.on(
        "GET",
        "/api/v1/models",
        (exchange, request) -> {
          if (("Bearer " + token).equals(request.header("Authorization"))) {
            FakeServer.send(exchange, 200, "application/json", "[]");
          } else {
            FakeServer.problem(exchange, 401, "unauthenticated", "Missing or wrong token.");
          }
        });
    return server;
  }

  @AfterEach
  void stop() {
    prod.close();
    staging.close();
  }

  private Cli cli() {
    return new Cli(config);
  }

  @Test
  void loginChecksTheTokenThenSavesTheContextOwnerOnlyAndMakesItCurrent() throws Exception {
    Cli.Result login =
        cli()
            .run(
                "login",
                "--server",
                prod.uri().toString(),
                "--token",
                "prod-token",
                "--name",
                "prod");
    assertEquals(0, login.exit(), login.toString());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(config.getParent())));
    assertTrue(Files.readString(config).contains("prod-token"));
    assertEquals(1, prod.requests("GET", "/api/v1/trust/root.pem").size(), "the token was checked");

    Cli.Result list = cli().run("models", "list");
    assertEquals(0, list.exit(), list.toString());
    assertEquals(
        "Bearer prod-token", prod.requests("GET", "/api/v1/models").get(0).header("Authorization"));
    assertEquals("prod\n", cli().run("config", "current-context").out());
  }

  @Test
  void aRefusedTokenSavesNothing() {
    Cli.Result login =
        cli().run("login", "--server", prod.uri().toString(), "--token", "wrong", "--name", "prod");
    assertEquals(ExitCode.UNAUTHORIZED, login.exit(), login.toString());
    assertTrue(login.err().contains("unauthenticated"), login.err());
    assertFalse(Files.exists(config));
  }

  @Test
  void theTokenCanComeFromStandardInputSoThatItStaysOutOfTheShellHistory() throws Exception {
    Cli.Result login =
        cli().stdin("prod-token\n").run("login", "--server", prod.uri().toString(), "--token", "-");
    assertEquals(0, login.exit(), login.toString());
    assertTrue(Files.readString(config).contains("prod-token"));
    assertTrue(login.out().contains("as context 127.0.0.1:" + prod.uri().getPort()), login.out());
  }

  @Test
  void contextsAreListedSwitchedAndDeleted() {
    cli()
        .run("login", "--server", prod.uri().toString(), "--token", "prod-token", "--name", "prod");
    cli()
        .run(
            "login",
            "--server",
            staging.uri().toString(),
            "--token",
            "staging-token",
            "--name",
            "staging");

    Cli.Result contexts = cli().run("config", "get-contexts");
    assertEquals(0, contexts.exit());
    assertTrue(contexts.out().contains("*        staging"), contexts.out());
    assertFalse(contexts.out().contains("token"), "never the tokens");

    assertEquals(0, cli().run("--context", "prod", "models", "list").exit());
    assertEquals(1, prod.requests("GET", "/api/v1/models").size());
    assertEquals(
        0, cli().run("models", "list", "--context", "prod").exit(), "after the command too");
    assertEquals(2, prod.requests("GET", "/api/v1/models").size());

    assertEquals(0, cli().run("config", "use-context", "prod").exit());
    cli().run("models", "list");
    assertEquals(3, prod.requests("GET", "/api/v1/models").size());
    assertEquals(0, staging.requests("GET", "/api/v1/models").size());

    Cli.Result unknown = cli().run("--context", "nope", "models", "list");
    assertEquals(ExitCode.USAGE, unknown.exit());
    assertTrue(unknown.err().contains("the contexts are: prod, staging"), unknown.err());

    assertEquals(0, cli().run("config", "delete-context", "prod").exit());
    Cli.Result none = cli().run("models", "list");
    assertEquals(ExitCode.UNAUTHORIZED, none.exit(), "no current context any more");
    assertTrue(none.err().contains("hint: run modelfleet login"), none.err());
  }

  @Test
  void theEnvironmentOverridesButAContextsTokenGoesOnlyToItsOwnServer() {
    cli()
        .run("login", "--server", prod.uri().toString(), "--token", "prod-token", "--name", "prod");

    Cli.Result elsewhere =
        cli().env("MODELFLEET_SERVER", staging.uri().toString()).run("models", "list");
    assertEquals(ExitCode.UNAUTHORIZED, elsewhere.exit(), elsewhere.toString());
    assertTrue(elsewhere.err().contains("set MODELFLEET_TOKEN too"), elsewhere.err());
    assertEquals(0, staging.requests().size(), "prod's token was not sent to staging");

    Cli.Result both =
        cli()
            .env("MODELFLEET_SERVER", staging.uri().toString())
            .env("MODELFLEET_TOKEN", "staging-token")
            .run("models", "list");
    assertEquals(0, both.exit(), both.toString());

    Cli.Result tokenOnly = cli().env("MODELFLEET_TOKEN", "other").run("models", "list");
    assertEquals(ExitCode.UNAUTHORIZED, tokenOnly.exit());
    assertEquals(
        "Bearer other", prod.requests("GET", "/api/v1/models").get(0).header("Authorization"));
  }

  @Test
  void aConfigFileOthersMayReadIsNotUsed() throws Exception {
    cli()
        .run("login", "--server", prod.uri().toString(), "--token", "prod-token", "--name", "prod");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-r--r--"));
    Cli.Result result = cli().run("models", "list");
    assertEquals(ExitCode.USAGE, result.exit(), result.toString());
    assertTrue(
        result.err().contains("other users may read or change it (rw-r--r--)"), result.err());
    assertTrue(
        result.err().contains("hint: make it yours alone: chmod 600 " + config), result.err());
    assertEquals(0, prod.requests("GET", "/api/v1/models").size());
  }

  @Test
  void aConfigFileThatDoesNotParseSaysWhichAndWhatToDo() throws Exception {
    Files.createDirectories(config.getParent());
    Files.writeString(config, "contexts: [ {name: a\n");
    Files.setPosixFilePermissions(config, PosixFilePermissions.fromString("rw-------"));
    Cli.Result result = cli().run("models", "list");
    assertEquals(ExitCode.USAGE, result.exit(), result.toString());
    assertTrue(result.err().startsWith("error: cannot read " + config), result.err());
  }

  @Test
  void aServerUrlMustBeHttpOrHttps() {
    Cli.Result result = cli().run("login", "--server", "fleet.example.com", "--token", "t");
    assertEquals(ExitCode.USAGE, result.exit());
    assertTrue(result.err().contains("is not a server URL"), result.err());
  }
}
