package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two real agents under their launcher update themselves to another build of the agent (the same
 * jar with another version) in a 2-wave rollout while a client keeps calling their local inference
 * API; a release that cannot start is reverted on its device and pauses the rollout; a tampered
 * release and an older one without the signed allowance are refused. One server for it all.
 */
class SelfUpdateEndToEndTest {

  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(Map.of("MODELFLEET_HEARTBEAT_INTERVAL", "2s"));

  private static final String RELEASES = "modelfleet-agent";
  private static final Duration LIMIT = Duration.ofSeconds(240);
  private static final Duration HEALTH_DEADLINE = Duration.ofSeconds(90);

  @Test
  @Timeout(1200)
  void anAgentUpdatesItselfKeepsServingRevertsABrokenReleaseAndRefusesBadOnes() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    Fleet fleet = running.fleet();
    RepoLayout repo = RepoLayout.find();
    // versions unique to this run (the e2e database outlives runs), all newer than the build's
    // but the one meant as a downgrade
    long stamp = System.currentTimeMillis() / 1000 % 100_000_000;
    String built = AgentReleaseJars.versionOf(repo.agentJar());
    String newer = "9." + stamp + ".0";
    String broken = "9." + stamp + ".1";
    String tampered = "9." + stamp + ".2";
    String older = "0.0." + stamp;
    String needsNewerServer = "9." + stamp + ".3";
    Path work = running.workDir();
    createReleasesModel(fleet);
    publish(
        fleet, newer, AgentReleaseJars.withVersion(repo.agentJar(), work.resolve("n.jar"), newer));
    publish(
        fleet,
        broken,
        AgentReleaseJars.thatCannotStart(repo.agentJar(), work.resolve("b.jar"), broken));
    String tamperedSha =
        publish(
            fleet,
            tampered,
            AgentReleaseJars.withVersion(repo.agentJar(), work.resolve("t.jar"), tampered));
    publish(
        fleet, older, AgentReleaseJars.withVersion(repo.agentJar(), work.resolve("o.jar"), older));
    publish(
        fleet,
        needsNewerServer,
        AgentReleaseJars.needingProtocol(
            repo.agentJar(), work.resolve("p.jar"), needsNewerServer, 99));

    // two devices under their launcher, each serving a small model
    List<AgentProcess> agents = new ArrayList<>();
    for (String name : List.of("a", "b")) {
      agents.add(
          fleet.startSupervisedAgent(
              "e2e-su-" + name + "-" + run,
              Map.of("su-run", run, "su-" + name, run),
              Ports.free(),
              HEALTH_DEADLINE));
    }
    String model = "su-model-" + run;
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", SampleModels.classifier(71, 64, 256, 10));
    fleet.assign(model, "1", "su-run=" + run);
    fleet.awaitActive(model, "1", agents, LIMIT, System.out::println);
    for (AgentProcess agent : agents) {
      assertEquals(built, runningVersion(agent));
    }

    // (1) a 2-wave rollout to the newer build while a client keeps calling each device
    List<ServingProbe> probes = new ArrayList<>();
    for (AgentProcess agent : agents) {
      probes.add(ServingProbe.start(new InferenceClient(agent.inferenceUri()), model));
    }
    String rollout = startRollout(fleet, newer, run);
    awaitRollout(fleet, rollout, "completed");
    for (AgentProcess agent : agents) {
      Waits.until(
          agent.name() + " to answer as agent " + newer,
          LIMIT,
          () -> newer.equals(runningVersion(agent)));
    }
    Waits.sleep(Duration.ofSeconds(1));
    for (int i = 0; i < agents.size(); i++) {
      ServingProbe probe = probes.get(i);
      probe.stop();
      AgentProcess agent = agents.get(i);
      assertTrue(probe.failures() == 0 || probe.successes() > 10, probe.toString());
      assertTrue(
          probe.longestGap().compareTo(Duration.ofSeconds(60)) < 0,
          agent.name() + " stopped serving for too long: " + probe);
      Waits.until(
          "the launcher to make " + newer + " active on " + agent.name(),
          LIMIT,
          () -> newer.equals(read(agent, "active")));
      System.out.printf(
          "selfupdate: %s download+verify %d ms, serving gap %d ms (%s); %s%n",
          agent.name(),
          SelfUpdateLog.downloadAndVerifyMs(agent, newer),
          probe.longestGap().toMillis(),
          probe,
          SelfUpdateLog.gapParts(agent, newer));
    }
    for (AgentProcess agent : agents) {
      JsonNode device = fleet.admin().get("/api/v1/devices/" + fleet.deviceIdOf(agent));
      assertEquals(newer, device.path("agent").path("version").asText(), device.toString());
    }
    InferenceClient client = new InferenceClient(agents.get(0).inferenceUri());
    assertEquals("1", client.inferWithSyntheticInputs(model).path("model_version").asText());

    // (2) a release that exits at start: its device goes back by itself, the rollout pauses
    String brokenRollout = startRollout(fleet, broken, run);
    JsonNode paused = awaitRollout(fleet, brokenRollout, "paused");
    AgentProcess failed =
        Waits.until(
            "a device to report agent " + broken + " reverted",
            LIMIT,
            () -> {
              for (AgentProcess agent : agents) {
                JsonNode status = fleet.deploymentOf(fleet.deviceIdOf(agent), RELEASES);
                if ("failed".equalsIgnoreCase(status.path("state").asText())
                    && broken.equals(status.path("version").asText())) {
                  assertEquals(
                      "agent-update-reverted",
                      status.path("reasonCode").asText(),
                      status.toString());
                  return agent;
                }
              }
              return null;
            });
    Waits.until(
        failed.name() + " to serve again as agent " + newer,
        LIMIT,
        () -> newer.equals(runningVersion(failed)));
    assertEquals(newer, read(failed, "active"), "the previous release stays active");
    System.out.printf(
        "selfupdate: %s reverted a release that exits at start in %d ms (paused: %s)%n",
        failed.name(), SelfUpdateLog.revertMs(failed, broken), paused.path("stateReason").asText());
    fleet.admin().post("/api/v1/rollouts/" + brokenRollout + "/abort", Map.of("reason", "e2e"));

    // (3) a release whose stored bytes were changed is refused by its sha256
    AgentProcess a = agents.get(0);
    Path stored =
        work.resolve("artifacts")
            .resolve("sha256")
            .resolve(tamperedSha.substring(0, 2))
            .resolve(tamperedSha);
    byte[] bytes = Files.readAllBytes(stored);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(stored, bytes);
    fleet.assign(RELEASES, tampered, "su-a=" + run);
    JsonNode refused = awaitFailed(fleet, a, tampered);
    assertFalse(Files.exists(slot(a, tampered)), "nothing of it was installed: " + refused);
    assertEquals(newer, runningVersion(a));

    // (4) an older release without the signed allowance (only a rollback gives it) is refused
    fleet.assign(RELEASES, older, "su-a=" + run);
    JsonNode downgrade = awaitFailed(fleet, a, older);
    assertEquals("agent-downgrade", downgrade.path("reasonCode").asText(), downgrade.toString());
    assertFalse(Files.exists(slot(a, older)));
    assertEquals(newer, runningVersion(a));
    assertEquals("1", client.inferWithSyntheticInputs(model).path("model_version").asText());

    // (5) a release that needs a newer server than this one is not chosen, and the match says why
    JsonNode match =
        fleet
            .admin()
            .get(
                "/api/v1/devices/"
                    + fleet.deviceIdOf(a)
                    + "/match?model="
                    + RELEASES
                    + "&version="
                    + needsNewerServer);
    assertTrue(match.path("chosen").isNull() || match.path("chosen").isMissingNode(), "" + match);
    assertTrue(
        match
            .toString()
            .contains(
                "needs protocol revision 99, this server speaks "
                    + dev.modelfleet.protocol.ProtocolRevision.CURRENT),
        "" + match);
  }

  private static void createReleasesModel(Fleet fleet) {
    try {
      fleet.createModel(RELEASES);
    } catch (AdminClient.ApiException e) {
      if (e.status() != 409) {
        throw e;
      }
    }
  }

  private static String publish(Fleet fleet, String version, Path jar) {
    fleet.createVersion(RELEASES, version);
    return fleet
        .uploadVariant(RELEASES, version, "precision=jar&executionProvider=cpu", readAll(jar))
        .path("sha256")
        .asText();
  }

  private static String startRollout(Fleet fleet, String version, String run) {
    Map<String, Object> body =
        Map.of(
            "model",
            RELEASES,
            "version",
            version,
            "selector",
            "su-run=" + run,
            "start",
            true,
            "defaults",
            RolloutDefaults.everyDeviceActive(0, LIMIT.toSeconds()),
            "waves",
            List.of(Map.of("percent", 50), Map.of("percent", 100)));
    return fleet.admin().post("/api/v1/rollouts", body).path("id").asText();
  }

  private static JsonNode awaitRollout(Fleet fleet, String id, String state) {
    JsonNode[] last = new JsonNode[1];
    try {
      return Waits.until(
          "rollout " + id + " " + state,
          LIMIT,
          () -> {
            last[0] = fleet.admin().get("/api/v1/rollouts/" + id);
            return state.equals(last[0].path("state").asText()) ? last[0] : null;
          });
    } catch (IllegalStateException e) {
      throw new AssertionError(e.getMessage() + "; last seen: " + last[0], e);
    }
  }

  private static JsonNode awaitFailed(Fleet fleet, AgentProcess agent, String version) {
    return Waits.until(
        agent.name() + " to refuse agent " + version,
        LIMIT,
        () -> {
          JsonNode status = fleet.deploymentOf(fleet.deviceIdOf(agent), RELEASES);
          return "failed".equalsIgnoreCase(status.path("state").asText())
                  && version.equals(status.path("version").asText())
              ? status
              : null;
        });
  }

  /** The agent version the device's inference API answers as (GET /v2), or null when down. */
  private static String runningVersion(AgentProcess agent) {
    try {
      return new InferenceClient(agent.inferenceUri()).serverMetadata().path("version").asText();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Path slot(AgentProcess agent, String version) {
    return agent.stateDir().resolve("agent-releases/slots").resolve(version);
  }

  /** A launcher file's content, or null while it does not exist. */
  private static String read(AgentProcess agent, String file) {
    Path path = agent.stateDir().resolve("agent-releases").resolve(file);
    try {
      return Files.exists(path) ? Files.readString(path).trim() : null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] readAll(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
