package dev.modelfleet.e2e.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A command run to completion, with its exit status and everything it printed. */
record Command(List<String> argv, int exitCode, String output, Duration took) {

  static Command run(Duration timeout, String... argv) {
    return run(timeout, Map.of(), null, List.of(argv));
  }

  /**
   * Runs {@code argv} with {@code env} added to this process's environment, in {@code directory}
   * (null: this process's), and fails when it is still running after {@code timeout}.
   */
  static Command run(Duration timeout, Map<String, String> env, Path directory, List<String> argv) {
    long started = System.nanoTime();
    try {
      Path output = Files.createTempFile("modelfleet-command-", ".log");
      try {
        ProcessBuilder builder =
            new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().putAll(env);
        if (directory != null) {
          builder.directory(directory.toFile());
        }
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          throw new IllegalStateException(
              argv + " still ran after " + timeout.toSeconds() + " s:\n" + tail(output, 40));
        }
        return new Command(
            argv,
            process.exitValue(),
            Files.readString(output, StandardCharsets.UTF_8),
            Duration.ofNanos(System.nanoTime() - started));
      } finally {
        Files.deleteIfExists(output);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not run " + argv, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Whether {@code program} can be started from the PATH. */
  static boolean available(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  static boolean runningAsRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  /** This command's output, failing with it when the command did not exit with 0. */
  Command ok() {
    if (exitCode != 0) {
      throw new IllegalStateException(
          argv + " exited with " + exitCode + ":\n" + lastLines(output, 60));
    }
    return this;
  }

  static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  static String lastLines(String text, int lines) {
    String[] all = text.split("\n");
    return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
  }

  private static String tail(Path file, int lines) throws IOException {
    return lastLines(Files.readString(file, StandardCharsets.UTF_8), lines);
  }
}
