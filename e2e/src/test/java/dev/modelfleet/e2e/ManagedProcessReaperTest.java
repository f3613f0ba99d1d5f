package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A harness JVM that ends without closing its processes (a benchmark stopped early) leaves none
 * behind: before, servers kept running and held their ports and databases after a stopped bench.
 */
class ManagedProcessReaperTest {

  @Test
  void processesStillRunningWhenTheHarnessExitsAreStopped(@TempDir Path dir) throws Exception {
    Process harness =
        new ProcessBuilder(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp",
                System.getProperty("java.class.path"),
                Harness.class.getName(),
                dir.resolve("sleep.log").toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    long child;
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(harness.getInputStream(), StandardCharsets.UTF_8))) {
      child = Long.parseLong(out.readLine().trim());
    }
    assertTrue(harness.waitFor(60, TimeUnit.SECONDS), "the harness did not exit");
    assertEquals(0, harness.exitValue());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false)
        && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertFalse(
        ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false),
        "the child outlived the harness");
  }

  /** Starts a long child, says its pid, and exits without closing it. */
  public static final class Harness {
    public static void main(String[] args) {
      ManagedProcess sleeper =
          new ManagedProcess("sleeper", List.of("sleep", "300"), Map.of(), Path.of(args[0]));
      System.out.println(sleeper.pid());
      System.out.flush();
      System.exit(0);
    }
  }
}
