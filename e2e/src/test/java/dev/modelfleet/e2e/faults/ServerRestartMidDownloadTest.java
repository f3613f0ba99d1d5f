package dev.modelfleet.e2e.faults;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.TestDatabase;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server killed (SIGKILL, as a crash or the OOM killer stops it) while real agents download a
 * large model over a slow link, then started again on the same database, keys, artifacts and ports:
 * every agent finishes its deployment, and none downloads the model again from its first byte,
 * since each resumes from the partial file it kept.
 */
class ServerRestartMidDownloadTest {

  private static final int AGENTS = 3;

  /** About 32 MB of weights: 1024 inputs by 8192 hidden units of float32. */
  private static final byte[] LARGE_MODEL = SampleModels.classifier(1601, 1024, 8192, 2);

  /** Per connection: the download takes about 10 s, long enough to kill the server in. */
  private static final long LINK_BYTES_PER_SECOND = 3L << 20;

  @TempDir Path work;

  @Test
  @Timeout(420)
  void agentsFinishAndResumeTheirDownloadsAfterTheServerIsKilledAndStartedAgain() throws Exception {
    RepoLayout repo = RepoLayout.find();
    try (ThrottledLink link = ThrottledLink.open(LINK_BYTES_PER_SECOND)) {
      // Plaintext agents, so the link can read the Range headers; artifacts announced at the
      // link's address, which relays to the server's HTTP port (the same after the restart).
      Map<String, String> env = new HashMap<>(ServerProcess.PLAINTEXT_AGENTS);
      env.put(
          "MODELFLEET_ARTIFACT_BASE_URL",
          "http://127.0.0.1:" + link.port() + "/agent/v1/artifacts");
      // whole artifacts only: the test watches the variant's own partial file, and a compressed
      // copy finished in the background first would be fetched under another name
      env.put("MODELFLEET_DELTA_COMPRESSION", "false");
      ServerProcess first = ServerProcess.start(repo, work, TestDatabase.NAME, env);
      link.forwardTo(first.baseUri().getPort());
      ServerProcess second = null;
      Fleet fleet = new Fleet(repo, first, work);
      try {
        second = downloadThroughAKill(fleet, first, link);
      } finally {
        fleet.close();
        first.close();
        if (second != null) {
          second.close();
        }
      }
    }
  }

  /** Returns the server started again, for the caller to stop. */
  private ServerProcess downloadThroughAKill(Fleet fleet, ServerProcess first, ThrottledLink link)
      throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String model = "restart-download-" + run;
    List<AgentProcess> agents = new ArrayList<>();
    for (int i = 0; i < AGENTS; i++) {
      agents.add(fleet.startAgent("restart-" + run + "-" + i, Map.of("restart-run", run)));
    }
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    JsonNode variant = fleet.uploadVariant(model, "1", LARGE_MODEL);
    String sha256 = variant.path("sha256").asText();
    long size = variant.path("size").asLong();
    fleet.assign(model, "1", "restart-run=" + run);

    Waits.until(
        "every agent a quarter into its download",
        Duration.ofSeconds(120),
        () -> agents.stream().allMatch(agent -> partialSize(agent, sha256) >= size / 4));
    first.kill();
    Map<String, Long> heldAtKill = new LinkedHashMap<>();
    for (AgentProcess agent : agents) {
      heldAtKill.put(agent.name(), partialSize(agent, sha256));
    }
    assertTrue(
        heldAtKill.values().stream().allMatch(held -> held < size),
        "the server was killed mid-download: " + heldAtKill + " of " + size);

    ServerProcess second = first.startAgain("server-after-kill");
    awaitActiveThroughRestart(fleet, model, agents);

    List<String> report = new ArrayList<>();
    for (AgentProcess agent : agents) {
      double fetched =
          MetricsScrape.value(
              agent.inferenceUri().resolve("/metrics"), "modelfleet_agent_download_bytes_total");
      long held = heldAtKill.get(agent.name());
      report.add(agent.name() + " held " + held + " at the kill, fetched " + (long) fetched);
      // from zero again it would have fetched the whole artifact on top of what it held
      assertTrue(fetched >= size, agent.name() + " fetched " + fetched + " of " + size);
      assertTrue(
          fetched < size + held && fetched < 2.0 * size,
          agent.name()
              + " downloaded bytes it already had: fetched "
              + (long) fetched
              + " for "
              + size
              + ", holding "
              + held
              + " at the kill");
    }
    System.err.println(
        "server restart mid-download, "
            + size
            + " bytes: "
            + report
            + "; Range requests through the link: "
            + link.rangeRequests());
    return second;
  }

  /**
   * Every agent reports ACTIVE, from the restarted server. A device whose download attempts all
   * fell while the server was down may report FAILED (download-failed) in between; the server sends
   * it the same desired state again when it reconnects, and it retries.
   */
  private static void awaitActiveThroughRestart(
      Fleet fleet, String model, List<AgentProcess> agents) {
    List<String> seen = new ArrayList<>();
    Waits.until(
        model + " ACTIVE on every agent after the restart",
        Duration.ofSeconds(180),
        () -> {
          boolean all = true;
          for (AgentProcess agent : agents) {
            agent.requireAliveFor("deploying through the server's restart");
            JsonNode status = fleet.deploymentOf(fleet.deviceIdOf(agent), model);
            String line =
                agent.name()
                    + " "
                    + status.path("state").asText("pending").toUpperCase(Locale.ROOT)
                    + " "
                    + status.path("reason").asText("");
            if (!seen.contains(line)) {
              seen.add(line);
              System.err.println(line);
            }
            all &= "ACTIVE".equals(status.path("state").asText().toUpperCase(Locale.ROOT));
          }
          return all;
        });
  }

  /** The bytes an agent holds of the artifact so far (its .part file), 0 before it starts. */
  private static long partialSize(AgentProcess agent, String sha256) {
    Path part = agent.stateDir().resolve("artifacts").resolve(sha256 + ".part");
    try {
      return Files.exists(part) ? Files.size(part) : 0;
    } catch (IOException e) {
      return 0; // renamed or removed between the two calls
    }
  }
}
