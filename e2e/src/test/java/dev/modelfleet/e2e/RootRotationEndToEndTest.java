package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.onnx.samples.SampleModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Key rotation with a real agent process connected: the admin rotates the director and targets
 * keys, the agent follows the new root version on its open stream and activates a version signed by
 * the new keys; restarted, it still trusts the new root (it persisted the chain).
 */
class RootRotationEndToEndTest {

  private static final Duration DEPLOY_TIMEOUT = Duration.ofMinutes(2);

  @RegisterExtension static final RunningFleet running = new RunningFleet();
  final String run = UUID.randomUUID().toString().substring(0, 8);

  @Test
  void agentFollowsARotationAndActivatesWhatTheNewKeysSigned() {
    Fleet fleet = running.fleet();
    String model = "rotation-" + run;
    AgentProcess agent = fleet.startAgent("e2e-rotation-" + run, Map.of("e2e-run", run));
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", SampleModels.classifier(11));
    fleet.assign(model, "1", "e2e-run=" + run);
    fleet.awaitActive(model, "1", List.of(agent), DEPLOY_TIMEOUT, line -> {});
    long before = fleet.admin().get("/api/v1/trust/root").path("version").asLong();

    JsonNode rotated =
        fleet
            .admin()
            .post("/api/v1/trust/root/rotate", Map.of("rotate", List.of("director", "targets")));
    assertTrue(rotated.path("published").asBoolean(), rotated.toString());
    assertEquals(before + 1, rotated.path("version").asLong());

    fleet.createVersion(model, "2");
    fleet.uploadVariant(model, "2", SampleModels.classifier(12));
    fleet.assign(model, "2", "e2e-run=" + run);
    fleet.awaitActive(model, "2", List.of(agent), DEPLOY_TIMEOUT, line -> {});

    agent.close();
    AgentProcess restarted =
        AgentProcess.start(
            RepoLayout.find(),
            agent.name(),
            fleet.server().grpcTarget(),
            null,
            running.workDir().resolve("root.pub.pem"),
            agent.stateDir(),
            fleet.withTls());
    try {
      fleet.createVersion(model, "3");
      fleet.uploadVariant(model, "3", SampleModels.classifier(13));
      fleet.assign(model, "3", "e2e-run=" + run);
      fleet.awaitActive(model, "3", List.of(restarted), DEPLOY_TIMEOUT, line -> {});
    } finally {
      restarted.close();
    }
  }
}
