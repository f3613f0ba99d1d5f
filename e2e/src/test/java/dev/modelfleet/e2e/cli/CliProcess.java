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
public final class CliProcess {

  /** How a run ended. */
  public record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  private final Path config;
  private final Map<String, String> env = new HashMap<>();

  /** A command line whose contexts live in {@code config}. */
  public CliProcess(Path config) {
    this.config = config;
  }

  /** Adds an environment variable for every later run. */
  public CliProcess env(String name, String value) {
    env.put(name, value);
    return this;
  }

  public Path config() {
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

  public Result run(String... args) {
    return runWithInput("", args);
  }

  public Result runWithInput(String stdin, String... args) {
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

  /**
   * Starts a run that waits for something outside it (a person approving a sign-in): its standard
   * error can be read while it runs.
   */
  public Running start(String... args) {
    ProcessBuilder builder = new ProcessBuilder(command(args));
    builder
        .environment()
        .keySet()
        .removeIf(k -> k.startsWith("MODELFLEET_") || k.equals("NO_COLOR"));
    builder.environment().put("MODELFLEET_CONFIG", config.toString());
    builder.environment().putAll(env);
    try {
      Process process = builder.start();
      process.getOutputStream().close();
      return new Running(process, read(process.getInputStream()), process.getErrorStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A run in progress. */
  public static final class Running {
    private final Process process;
    private final CompletableFuture<String> out;
    private final StringBuffer err = new StringBuffer();
    private final CompletableFuture<Void> errDone;

    private Running(Process process, CompletableFuture<String> out, InputStream errStream) {
      this.process = process;
      this.out = out;
      this.errDone =
          CompletableFuture.runAsync(
              () -> {
                try (errStream) {
                  byte[] buffer = new byte[4096];
                  int n;
                  while ((n = errStream.read(buffer)) >= 0) {
                    err.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    }

    /** What it wrote to standard error so far. */
    public String errSoFar() {
      return err.toString();
    }

    /** Waits for it to end (killing it after the timeout). */
    public Result finish(Duration timeout) {
      try {
        boolean ended = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!ended) {
          process.destroyForcibly();
        }
        assertTrue(ended, "the command did not end within " + timeout + "; so far: " + err);
        errDone.join();
        return new Result(process.exitValue(), out.join(), err.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
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
