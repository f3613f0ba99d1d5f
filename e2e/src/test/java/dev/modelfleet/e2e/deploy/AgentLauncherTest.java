package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.e2e.RepoLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/agent/modelfleet-agent-launcher on its own: it shares only files with the agent, so a
 * stand-in agent (a script that behaves as the release in its "jar" says) drives every way a
 * hand-over can go. The real agent going through it is SelfUpdateEndToEndTest.
 */
class AgentLauncherTest {

  private static final Path LAUNCHER =
      RepoLayout.find().root().resolve("deploy/agent/modelfleet-agent-launcher");

  /** argv: -jar JAR --state-dir DIR. Asks for one trial (once), or is the release it names. */
  private static final String STAND_IN =
      """
      #!/usr/bin/env bash
      jar="$2"; state="$4"; releases="$state/agent-releases"; release="$(cat "$jar")"
      echo "started $release"
      case "$release" in
        update:*)
          [ -f "$state/asked" ] && exit 0
          touch "$state/asked"; echo "${release#update:}" > "$releases/trial"; exit 75 ;;
        healthy) cat "$releases/trying" > "$releases/healthy"; exit 0 ;;
        crash) exit 1 ;;
        healthy-then-crash)
          [ -s "$releases/trying" ] && cat "$releases/trying" > "$releases/healthy"
          sleep 0.5; exit 3 ;;
        hang) exec sleep 120 ;;
      esac
      """;

  @TempDir Path dir;

  Path state;
  Path releases;

  Command launch(String bundled, Map<String, String> slots, String deadlineSeconds)
      throws IOException {
    return launch(bundled, slots, Map.of("MODELFLEET_LAUNCHER_HEALTH_DEADLINE", deadlineSeconds));
  }

  Command launch(String bundled, Map<String, String> slots, Map<String, String> environment)
      throws IOException {
    state = dir.resolve("state");
    releases = state.resolve("agent-releases");
    Files.createDirectories(releases.resolve("failed"));
    for (Map.Entry<String, String> slot : slots.entrySet()) {
      Path jar = releases.resolve("slots").resolve(slot.getKey()).resolve("modelfleet-agent.jar");
      Files.createDirectories(jar.getParent());
      Files.writeString(jar, slot.getValue());
    }
    Path standIn = Files.writeString(dir.resolve("agent.sh"), STAND_IN);
    Path jar = Files.writeString(dir.resolve("bundled.jar"), bundled);
    return Command.run(
        Duration.ofSeconds(90),
        environment,
        null,
        List.of(
            "bash",
            LAUNCHER.toString(),
            "bash",
            standIn.toString(),
            "-jar",
            jar.toString(),
            "--state-dir",
            state.toString()));
  }

  String file(String name) throws IOException {
    Path path = releases.resolve(name);
    return Files.exists(path) ? Files.readString(path).trim() : null;
  }

  @Test
  void aTrialThatReportsHealthyBecomesTheActiveRelease() throws IOException {
    Command run = launch("update:2", Map.of("2", "healthy"), "30");

    assertEquals(0, run.exitCode(), run.output());
    assertEquals("2", file("active"), run.output());
    assertEquals("bundled", file("previous"));
    assertTrue(run.output().contains("agent 2 is the active release"), run.output());
  }

  @Test
  void aTrialThatExitsAtStartIsRevertedWithItsReason() throws IOException {
    Command run = launch("update:3", Map.of("3", "crash"), "30");

    assertEquals(0, run.exitCode(), run.output());
    assertEquals(null, file("active"), "the installed release stays: " + run.output());
    assertTrue(file("failed/3").contains("exited with status 1"), file("failed/3"));
    assertEquals(2, run.output().split("started update:3", -1).length - 1, run.output());
  }

  @Test
  void aTrialNeverHealthyIsStoppedAtTheDeadlineAndReverted() throws IOException {
    Command run = launch("update:4", Map.of("4", "hang"), "2");

    assertEquals(0, run.exitCode(), run.output());
    assertTrue(file("failed/4").contains("not healthy"), file("failed/4"));
    assertTrue(run.took().compareTo(Duration.ofSeconds(60)) < 0, "took " + run.took());
    assertFalse(run.output().contains("is the active release"), run.output());
  }

  @Test
  void aReleaseThatFailedBeforeIsNotTriedAgain() throws IOException {
    Files.createDirectories(dir.resolve("state/agent-releases/failed"));
    Files.writeString(dir.resolve("state/agent-releases/failed/5"), "it exited with status 1\n");
    Command run = launch("update:5", Map.of("5", "healthy"), "30");

    assertEquals(0, run.exitCode(), run.output());
    assertTrue(run.output().contains("not trying agent 5 again"), run.output());
    assertEquals(null, file("active"));
  }

  @Test
  void aPromotedReleaseThatKeepsCrashingSoonAfterIsRevertedToThePreviousOne() throws IOException {
    Command run =
        launch(
            "update:6",
            Map.of("6", "healthy-then-crash"),
            Map.of(
                "MODELFLEET_LAUNCHER_HEALTH_DEADLINE", "30",
                "MODELFLEET_LAUNCHER_CRASH_LIMIT", "3",
                "MODELFLEET_LAUNCHER_CRASH_WINDOW", "60"));

    assertEquals(0, run.exitCode(), "the previous release ran and ended: " + run.output());
    assertTrue(run.output().contains("agent 6 is the active release"), run.output());
    assertEquals(3, run.output().split("started healthy-then-crash", -1).length - 1, run.output());
    assertEquals(null, file("active"), "back to the installed release: " + run.output());
    assertTrue(file("failed/6").contains("crashed 3 times within 60s"), file("failed/6"));
    assertTrue(file("failed/6").contains("last exit status 3"), file("failed/6"));
  }

  @Test
  void aPromotedReleaseThatCrashesAfterTheWindowIsLeftToSystemd() throws IOException {
    Command run =
        launch(
            "update:7",
            Map.of("7", "healthy-then-crash"),
            Map.of(
                "MODELFLEET_LAUNCHER_HEALTH_DEADLINE", "30",
                "MODELFLEET_LAUNCHER_CRASH_WINDOW", "0"));

    assertEquals(3, run.exitCode(), run.output());
    assertEquals("7", file("active"), run.output());
    assertFalse(Files.exists(releases.resolve("failed/7")), run.output());
  }
}
