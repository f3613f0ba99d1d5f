package dev.modelfleet.e2e.bench;

import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.AgentReleaseJars;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.InferenceClient;
import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.SelfUpdateLog;
import dev.modelfleet.e2e.ServingProbe;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The agent updating itself, round after round, on one device under its launcher: each round
 * publishes the build's jar as a newer release and assigns it while a client calls a ~5 MB model on
 * the device's local API in a loop. Per round: download+verify of the release (the agent's own
 * log), the longest time between two answers across the restart, and its two parts (the old agent's
 * shutdown; the new process's start to serving from disk). Then a release that exits at start, and
 * how long the launcher takes to go back. Figures as median (min–max) over the rounds.
 */
final class SelfUpdateBench {

  private static final String RELEASES = "modelfleet-agent";
  private static final Duration LIMIT = Duration.ofMinutes(4);

  private SelfUpdateBench() {}

  static void run(Fleet fleet, RepoLayout repo, Path work, int rounds, ReportRows report)
      throws Exception {
    String run = Long.toHexString(System.nanoTime());
    long stamp = System.currentTimeMillis() / 1000 % 100_000_000;
    try {
      fleet.createModel(RELEASES);
    } catch (AdminClient.ApiException e) {
      if (e.status() != 409) {
        throw e;
      }
    }
    String model = "su-bench-" + run;
    byte[] served = SampleModels.classifier(71, 1024, 1200, 10);
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", served);
    AgentProcess agent =
        fleet.startSupervisedAgent(
            "su-bench-" + run, Map.of("bench", run), Ports.free(), Duration.ofSeconds(90));
    fleet.assign(model, "1", "bench=" + run);
    fleet.awaitActive(model, "1", List.of(agent), LIMIT, line -> {});

    List<Long> downloads = new ArrayList<>();
    List<Long> gaps = new ArrayList<>();
    List<Long> stillServing = new ArrayList<>();
    List<Long> exits = new ArrayList<>();
    List<Long> starts = new ArrayList<>();
    long jarBytes = Files.size(repo.agentJar());
    for (int round = 1; round <= rounds; round++) {
      String version = "9." + stamp + "." + round;
      Benchmarks.progress("selfupdate: round " + round + "/" + rounds + ", agent " + version);
      publish(
          fleet,
          version,
          AgentReleaseJars.withVersion(repo.agentJar(), work.resolve(version + ".jar"), version));
      ServingProbe probe = ServingProbe.start(new InferenceClient(agent.inferenceUri()), model);
      Waits.sleep(Duration.ofSeconds(2)); // answers before the switch
      fleet.assign(RELEASES, version, "bench=" + run);
      Waits.until(
          "the launcher to make agent " + version + " active",
          LIMIT,
          () -> version.equals(launcherFile(agent, "active")));
      Waits.sleep(Duration.ofSeconds(1)); // answers after it
      probe.stop();
      downloads.add(SelfUpdateLog.downloadAndVerifyMs(agent, version));
      gaps.add(probe.longestGap().toMillis());
      SelfUpdateLog.GapParts parts = SelfUpdateLog.gapParts(agent, version);
      stillServing.add(parts.apiOpenMs());
      exits.add(parts.exitMs());
      starts.add(parts.startToServingMs());
      Benchmarks.progress("selfupdate: " + probe + "; " + parts);
    }
    String broken = "9." + stamp + "." + (rounds + 1);
    publish(
        fleet,
        broken,
        AgentReleaseJars.thatCannotStart(repo.agentJar(), work.resolve("broken.jar"), broken));
    fleet.assign(RELEASES, broken, "bench=" + run);
    Waits.until(
        "the launcher to go back from agent " + broken,
        LIMIT,
        () -> launcherFile(agent, "failed/" + broken));
    long revert = SelfUpdateLog.revertMs(agent, broken);

    String mb = String.format("%.1f MB", jarBytes / 1e6);
    report.row(
        "selfupdate: download + verify of a release (" + mb + "), " + rounds + " rounds",
        spread(downloads),
        "—");
    report.row(
        "selfupdate: serving gap, a " + String.format("%.1f MB", served.length / 1e6) + " model",
        spread(gaps),
        "≤ 2000 ms");
    report.row(
        "selfupdate: old agent still answers after its restart decision (not in the gap)",
        spread(stillServing),
        "—");
    report.row(
        "selfupdate: gap part 1, old agent's API closed → its process ended, launcher started the"
            + " new one",
        spread(exits),
        "—");
    report.row(
        "selfupdate: gap part 2, new process started → serving from disk (JVM, restore, smoke"
            + " test, bind)",
        spread(starts),
        "—");
    report.row(
        "selfupdate: release that exits at start, launcher start → previous release started",
        revert + " ms",
        "within the deadline");
  }

  /** "median ms (min–max)". */
  static String spread(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2)
        + " ms ("
        + sorted.get(0)
        + "–"
        + sorted.get(sorted.size() - 1)
        + ")";
  }

  private static void publish(Fleet fleet, String version, Path jar) throws IOException {
    fleet.createVersion(RELEASES, version);
    fleet.uploadVariant(
        RELEASES, version, "precision=jar&executionProvider=cpu", Files.readAllBytes(jar));
  }

  /** A launcher file's content, or null while it does not exist. */
  private static String launcherFile(AgentProcess agent, String name) {
    Path file = agent.stateDir().resolve("agent-releases").resolve(name);
    try {
      return Files.exists(file) ? Files.readString(file).trim() : null;
    } catch (IOException e) {
      return null;
    }
  }
}
