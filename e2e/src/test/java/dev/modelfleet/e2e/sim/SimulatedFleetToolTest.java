package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The simulator tool as a user runs it, in-process: twenty simulated devices enroll with one token,
 * a model is assigned by the token's label, and the server sees every one of them download, verify
 * and activate it over the real protocol.
 */
class SimulatedFleetToolTest {

  private static final int DEVICES = 20;

  @RegisterExtension static final RunningFleet running = RunningFleet.plaintextAgents();

  @Test
  @Timeout(60)
  void twentySimulatedDevicesFromOneTokenAllActivateTheModelAssignedToTheirLabel()
      throws Exception {
    Fleet fleet = running.fleet();
    String run = UUID.randomUUID().toString().substring(0, 8);
    // A label only this run carries, so devices left in the shared database by earlier runs
    // are not part of the assignment.
    JsonNode token =
        fleet
            .admin()
            .post(
                "/api/v1/enrollment-tokens",
                Map.of(
                    "name",
                    "sim-tool-" + run,
                    "labels",
                    Map.of("sim-tool", run),
                    "maxUses",
                    50,
                    "expiresInSeconds",
                    3600));
    SimulatorOptions options =
        SimulatorOptions.parse(
            "--server", running.server().grpcTarget(),
            "--token", token.path("token").asText(),
            "--devices", Integer.toString(DEVICES),
            "--heartbeat-seconds", "1",
            "--profiles", "cpu,cuda,npu",
            "--root-key", running.workDir().resolve("root.pub.pem").toString(),
            "--name-prefix", "sim-tool-" + run);

    SimulatedFleet tool = SimulatedFleet.start(options, System.err);
    try {
      Waits.until(
          DEVICES + " simulated devices connected",
          Duration.ofSeconds(20),
          () -> tool.snapshot().connected() == DEVICES);
      List<String> deviceIds = tool.deviceIds();
      assertEquals(DEVICES, new HashSet<>(deviceIds).size(), deviceIds.toString());

      String model = "sim-tool-" + run;
      fleet.createModel(model);
      fleet.createVersion(model, "1");
      fleet.uploadVariant(model, "1", SampleModels.classifier(21));
      JsonNode assignment = fleet.assign(model, "1", "sim-tool=" + run);
      assertEquals(DEVICES, assignment.path("assigned").size(), assignment.toString());

      Waits.until(
          "all " + DEVICES + " devices to report " + model + " ACTIVE",
          Duration.ofSeconds(20),
          () ->
              deviceIds.stream()
                  .allMatch(
                      id -> {
                        JsonNode deployment = fleet.deploymentOf(id, model);
                        return "ACTIVE".equalsIgnoreCase(deployment.path("state").asText())
                            && "1".equals(deployment.path("version").asText());
                      }));
      for (String id : deviceIds) {
        assertEquals(
            "cpu",
            fleet.deploymentOf(id, model).path("executionProviderUsed").asText(),
            "the only variant is a CPU one, whatever the simulated accelerator");
      }
      FleetSnapshot snapshot = tool.snapshot();
      assertEquals(DEVICES, snapshot.active(), snapshot.toString());
      assertEquals(0, snapshot.failed(), snapshot.toString());
      assertTrue(snapshot.heartbeats() > 0, snapshot.toString());
    } finally {
      tool.close();
    }
    assertEquals(0, tool.snapshot().connected(), "close ends every device's stream");
  }
}
