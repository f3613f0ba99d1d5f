package dev.modelfleet.server.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;

/**
 * Runs deploy/keys/SignRoot.java as an operator would, with the JDK running the tests, feeding
 * {@code stdin} to its prompt and keeping what it printed on each stream. The file is compiled
 * once, alone and with no class path (which is what {@code java SignRoot.java} does at every start,
 * so it proves the same: one file, JDK only), to spare each run a compilation.
 */
final class SignRootTool {

  static final Path SOURCE = Path.of("..", "deploy", "keys", "SignRoot.java");
  private static Path classes;

  record Run(int exitCode, String out, String err) {}

  private SignRootTool() {}

  private static synchronized Path classes() throws IOException {
    if (classes == null) {
      Path dir = Files.createTempDirectory("signroot-classes");
      int status =
          ToolProvider.getSystemJavaCompiler()
              .run(null, null, null, "-d", dir.toString(), "-proc:none", SOURCE.toString());
      assertEquals(0, status, "javac " + SOURCE);
      classes = dir;
    }
    return classes;
  }

  static Run run(String stdin, String... args) throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                classes().toString(),
                "SignRoot"));
    command.addAll(List.of(args));
    Path err = Files.createTempFile("signroot", ".err");
    try {
      Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
      try (OutputStream in = process.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "SignRoot " + String.join(" ", args));
      return new Run(process.exitValue(), out, Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(err);
    }
  }

  /** A run that must succeed: its stdout (a keygen's PEM ends in a newline, as the file does). */
  static String ok(String... args) throws IOException, InterruptedException {
    Run run = run("", args);
    assertEquals(0, run.exitCode(), "SignRoot " + String.join(" ", args) + ": " + run.err());
    return run.out().trim() + (args[0].equals("keygen") ? "\n" : "");
  }
}
