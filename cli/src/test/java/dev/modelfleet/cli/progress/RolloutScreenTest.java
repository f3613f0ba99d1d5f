package dev.modelfleet.cli.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.output.Terminal;
import dev.modelfleet.cli.support.Rollouts;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RolloutScreenTest {

  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
  private final Terminal unicode = new Terminal(true, true, 120, 40, true);
  private final Terminal plain = Terminal.plain();

  @Test
  void aBarGivesEachStateItsShareAndOneFailedDeviceOf10000ACell() {
    RolloutScreen screen = new RolloutScreen(plain, 5, ZoneOffset.UTC);
    String bar = screen.bar(Map.of("active", 9_000, "downloading", 999, "failed", 1), 10_000, 40);
    assertEquals(40, bar.length());
    assertEquals("#".repeat(36) + "~".repeat(3) + "x", bar);
    assertEquals(
        "#".repeat(10) + ":".repeat(10) + ".".repeat(20),
        screen.bar(Map.of("active", 1, "pending", 1, "waiting", 2), 4, 40));
    assertEquals(" ".repeat(12), screen.bar(Map.of(), 0, 12));
  }

  @Test
  void aStateThisCommandLineDoesNotKnowStillShows() {
    RolloutScreen screen = new RolloutScreen(plain, 5, ZoneOffset.UTC);
    assertEquals("##qq", screen.bar(Map.of("active", 2, "quarantined", 2), 4, 4));
  }

  @Test
  void theScreenHasABarPerWaveGateFiguresAndTheLatestEventsWithinTheWidth() {
    RolloutScreen screen = new RolloutScreen(unicode, 2, ZoneOffset.UTC);
    List<String> lines =
        screen.screen(Rollouts.rollout("r1", "running", 3, 1, 4, 2, "a", "b", "c"), NOW);
    String text = String.join("\n", lines);
    assertTrue(text.contains("state \033[36mrunning\033[0m · wave 2 of 3 · 14 of 30 active"), text);
    assertTrue(lines.stream().anyMatch(l -> l.startsWith(" wave 1  succeeded")), text);
    assertTrue(
        lines.stream()
            .anyMatch(
                l -> l.startsWith(" wave 2  running") && l.contains("\033[32m████████████████")),
        text);
    assertTrue(
        text.contains("gate: 4 judged · errors 0.10 % (was 0.10 %) · p95 4.2 ms (was 4.0 ms)"),
        text);
    assertTrue(text.contains("active 4/10 · downloading 4 · failed 2"), text);
    assertTrue(text.contains("09:58:01 engine b (wave 1): b detail"), text);
    assertTrue(!text.contains("a detail"), "only the latest 2 events");
    for (String line : lines) {
      assertTrue(line.replaceAll("\033\\[[0-9;]*m", "").length() <= 119, line);
    }
  }

  @Test
  void onANarrowTerminalLinesAreCutWithoutCuttingAColourSequence() {
    RolloutScreen screen =
        new RolloutScreen(new Terminal(true, true, 60, 40, true), 5, ZoneOffset.UTC);
    for (String line : screen.screen(Rollouts.rollout("r1", "running", 3, 1, 4, 2, "a"), NOW)) {
      String visible = line.replaceAll("\033\\[[0-9;]*m", "");
      assertTrue(visible.length() <= 59, line);
      assertTrue(!visible.contains("\033"), "every escape sequence whole: " + line);
      int lastEscape = line.lastIndexOf('\033');
      assertTrue(
          lastEscape < 0 || line.startsWith("\033[0m", lastEscape),
          "a colour opened is closed: " + line);
    }
  }

  @Test
  void aWaveInItsShadowPhaseShowsItsSamplesAgreementAndLatencyOnScreenAndAsAChange() {
    RolloutScreen screen =
        new RolloutScreen(new Terminal(false, false, 200, 40, false), 5, ZoneOffset.UTC);
    var before = Rollouts.rollout("r1", "running", 2, 0, 0, 0);
    var r = before.deepCopy();
    ObjectNode shadow = ((ObjectNode) r.path("waves").path(0)).putObject("shadow");
    shadow.put("comparison", "top1>=0.99").put("devices", 2).put("compared", 240);
    shadow.put("value", 0.9958).put("candidateP95Ms", 12.04).put("servingP95Ms", 1.5);
    shadow.put("latencyRatio", 8.03).put("candidateFailures", 1).put("loadFailures", 0);
    shadow.putNull("verdict");
    String expected =
        "240 compared on 2 devices · top1>=0.99 worst 0.9958 · p95 12.0 ms (serving 1.5 ms,"
            + " x8.03) · failures 1 · deciding";

    String text = String.join("\n", screen.screen(r, NOW));
    assertTrue(text.contains("shadow: " + expected), text);
    List<String> changes = screen.changes(before, r, NOW);
    assertTrue(
        changes.stream().anyMatch(l -> l.endsWith("; shadow: " + expected)), changes.toString());

    shadow.put("verdict", "failed: wave 1 shadow phase: candidate p95 ...").put("loadFailures", 1);
    assertTrue(
        String.join("\n", screen.screen(r, NOW))
            .contains("failures 1 · 1 could not load it · failed: wave 1 shadow phase"),
        "verdict shown");

    // quiet devices: the samples replayed from the validation set are said so
    shadow.put("fromValidationSet", 200);
    assertTrue(
        String.join("\n", screen.screen(r, NOW))
            .contains("240 compared on 2 devices (200 from the validation set) · top1>=0.99"),
        "validation share shown");
  }

  @Test
  void changesListOnlyWhatChanged() {
    RolloutScreen screen = new RolloutScreen(plain, 5, ZoneOffset.UTC);
    var before = Rollouts.rollout("r1", "running", 3, 1, 4, 0, "a");
    var after = Rollouts.rollout("r1", "running", 3, 1, 6, 0, "a", "b");
    List<String> lines = screen.changes(before, after, NOW);
    assertEquals(
        List.of(
            "10:00:00 wave 2 running: active 6/10 · downloading 4; gate: 6 judged · errors 0.10 %"
                + " (was 0.10 %) · p95 4.2 ms (was 4.0 ms) · fallbacks 0 · unhealthy 0",
            "09:58:01 engine b (wave 1): b detail"),
        lines);
  }

  @Test
  void aWaveAwaitingApprovalSaysHowToApprove() {
    RolloutScreen screen = new RolloutScreen(plain, 5, ZoneOffset.UTC);
    var r = Rollouts.rollout("r1", "running", 3, 1, 0, 0);
    ((com.fasterxml.jackson.databind.node.ObjectNode) r.path("waves").get(1))
        .put("state", "awaiting_approval");
    assertTrue(
        screen.screen(r, NOW).contains("wave 2 awaits approval: modelfleet rollouts approve r1"));
  }
}
