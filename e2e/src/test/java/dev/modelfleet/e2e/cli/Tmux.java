package dev.modelfleet.e2e.cli;

import dev.modelfleet.e2e.Waits;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real pseudo-terminal: a tmux session of 120 by 40 on a server of its own (its own socket), in
 * which a command runs; the screen is read with {@code capture-pane}, as a person would see it.
 */
final class Tmux implements AutoCloseable {

  private final String socket = "modelfleet-e2e-" + UUID.randomUUID();
  private final String session = "cli";

  static boolean available() {
    try {
      Process p = new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Runs {@code shellCommand} in a new 120x40 terminal; when it ends, the terminal shows {@code
   * EXIT=<status>} and stays open to be read.
   */
  Tmux(String shellCommand) {
    tmux(
        "new-session",
        "-d",
        "-s",
        session,
        "-x",
        "120",
        "-y",
        "40",
        shellCommand + "; echo EXIT=$?; sleep 600");
  }

  /**
   * A shell command line that runs modelfleet with {@code config} as its contexts file and the
   * environment of this test (minus the developer's own MODELFLEET_ settings) plus {@code env}.
   */
  static String modelfleet(java.nio.file.Path config, List<String> env, String... args) {
    List<String> words = new ArrayList<>(List.of("env"));
    for (String name :
        List.of("MODELFLEET_SERVER", "MODELFLEET_TOKEN", "MODELFLEET_CA", "NO_COLOR")) {
      words.add("-u");
      words.add(name);
    }
    words.add("MODELFLEET_CONFIG=" + config);
    words.addAll(env);
    words.addAll(CliProcess.command(args));
    StringBuilder line = new StringBuilder();
    for (String word : words) {
      line.append(line.length() == 0 ? "" : " ")
          .append('\'')
          .append(word.replace("'", "'\\''"))
          .append('\'');
    }
    return line.toString();
  }

  /** What the terminal shows now, one string per row, trailing blanks cut. */
  String screen() {
    return tmux("capture-pane", "-p", "-t", session);
  }

  /** Reads the screen until {@code condition} holds; every distinct screen seen is kept. */
  List<String> watchUntil(String what, Duration timeout, Predicate<String> condition) {
    List<String> seen = new ArrayList<>();
    Waits.until(
        what,
        timeout,
        () -> {
          String screen = screen();
          if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(screen)) {
            seen.add(screen);
          }
          return condition.test(screen);
        });
    return seen;
  }

  private String tmux(String... args) {
    List<String> command = new ArrayList<>(List.of("tmux", "-L", socket));
    command.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("tmux " + String.join(" ", args) + " failed: " + output);
      }
      return output;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      tmux("kill-server");
    } catch (IllegalStateException e) {
      // already gone
    }
  }
}
