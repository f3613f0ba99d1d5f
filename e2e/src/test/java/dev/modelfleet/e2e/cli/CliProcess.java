package dev.modelfleet.e2e.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.RepoLayout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The command line as a person runs it: {@code java -jar cli/target/modelfleet-cli.jar}, a process
 * of its own with its own configuration file, standard input, output and error as pipes (so it sees
 * no terminal, as in a script).
 */
final class CliProcess {

  /** How a run ended. */
  record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  private final Path config;
  private final Map<String, String> env = new HashMap<>();

  /** A command line whose contexts live in {@code config}. */
  CliProcess(Path config) {
    this.config = config;
  }

  /** Adds an environment variable for every later run. */
  CliProcess env(String name, String value) {
    env.put(name, value);
    return this;
  }

  Path config() {
    return config;
  }

  /** The command line to run the jar, for a terminal (tmux) to start. */
  static List<String> command(String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-jar");
    command.add(RepoLayout.find().cliJar().toString());
    command.addAll(List.of(args));
    return command;
  }

  Result run(String... args) {
    return runWithInput("", args);
  }

  Result runWithInput(String stdin, String... args) {
    ProcessBuilder builder = new ProcessBuilder(command(args));
    // what the developer's shell may have set must not leak into the test
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("MODELFLEET_") || k.equals("NO_COLOR"));
    builder.environment().put("MODELFLEET_CONFIG", config.toString());
    builder.environment().putAll(env);
    try {
      Process process = builder.start();
      CompletableFuture<String> out = read(process.getInputStream());
      CompletableFuture<String> err = read(process.getErrorStream());
      try (OutputStream in = process.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      boolean ended = process.waitFor(5, TimeUnit.MINUTES);
      if (!ended) {
        process.destroyForcibly();
      }
      assertTrue(ended, "modelfleet " + String.join(" ", args) + " did not end within 5 minutes");
      return new Result(process.exitValue(), out.join(), err.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static CompletableFuture<String> read(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  static Duration timeout() {
    return Duration.ofMinutes(5);
  }
}
