package dev.modelfleet.cli.support;

import dev.modelfleet.cli.Main;
import dev.modelfleet.cli.Session;
import dev.modelfleet.cli.output.Terminal;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs the command line in this JVM as a person would type it, with its own environment,
 * configuration file and captured output; the server it talks to is real (a {@link FakeServer}).
 */
public final class Cli {

  /** What a run ended with. */
  public record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  public static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  private final Map<String, String> env = new HashMap<>();
  private String stdin = "";
  private Terminal terminal = Terminal.plain();

  /** A command line whose configuration file is {@code config} (it may not exist yet). */
  public Cli(Path config) {
    env.put("MODELFLEET_CONFIG", config.toString());
  }

  public Cli env(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** Server and token from the environment, no saved context needed. */
  public Cli against(FakeServer server, String token) {
    return env("MODELFLEET_SERVER", server.uri().toString()).env("MODELFLEET_TOKEN", token);
  }

  public Cli stdin(String text) {
    this.stdin = text;
    return this;
  }

  public Cli terminal(Terminal terminal) {
    this.terminal = terminal;
    return this;
  }

  /** A session of this command line whose output is thrown away (to build the command model). */
  public Session session() {
    PrintStream nowhere =
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    return new Session(
        env, nowhere, nowhere, new ByteArrayInputStream(new byte[0]), terminal, Clock.systemUTC());
  }

  public Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Session session =
        new Session(
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            terminal,
            Clock.fixed(NOW, ZoneOffset.UTC));
    int exit = Main.run(args, session);
    return new Result(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
