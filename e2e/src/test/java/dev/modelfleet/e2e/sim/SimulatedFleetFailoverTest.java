package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.TestDatabase;
import dev.modelfleet.e2e.Waits;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two server replicas on one database: the simulator spreads its devices over both, and when one
 * replica is killed its devices move to the survivor and keep heartbeating there.
 */
class SimulatedFleetFailoverTest {

  private static final int DEVICES = 10;

  @RegisterExtension static final RunningFleet running = RunningFleet.plaintextAgents();

  @TempDir Path replicaDir;

  @Test
  @Timeout(120)
  void aKilledReplicasDevicesMoveToTheSurvivor() throws Exception {
    Path shared = running.workDir();
    // The same keys and artifact store: replicas differ only in their process.
    try (ServerProcess replica =
        ServerProcess.start(
            RepoLayout.find(),
            replicaDir,
            TestDatabase.NAME,
            Map.of(
                "MODELFLEET_KEY_DIR",
                shared.resolve("keys").toString(),
                "MODELFLEET_ARTIFACT_DIR",
                shared.resolve("artifacts").toString(),
                "MODELFLEET_AGENT_TLS_MODE",
                "off"))) {
      String run = UUID.randomUUID().toString().substring(0, 8);
      JsonNode token =
          running
              .fleet()
              .admin()
              .post(
                  "/api/v1/enrollment-tokens",
                  Map.of(
                      "name",
                      "sim-failover-" + run,
                      "labels",
                      Map.of("sim-failover", run),
                      "maxUses",
                      DEVICES,
                      "expiresInSeconds",
                      3600));
      String survivor = running.server().grpcTarget();
      SimulatorOptions options =
          SimulatorOptions.parse(
              "--server",
              survivor + "," + replica.grpcTarget(),
              "--token",
              token.path("token").asText(),
              "--devices",
              Integer.toString(DEVICES),
              "--heartbeat-millis",
              "200",
              "--root-key",
              shared.resolve("root.pub.pem").toString(),
              "--name-prefix",
              "sim-failover-" + run);

      try (SimulatedFleet tool = SimulatedFleet.start(options, System.err)) {
        Waits.until(
            DEVICES + " devices connected",
            Duration.ofSeconds(30),
            () -> tool.snapshot().connected() == DEVICES);
        List<String> moving = tool.deviceIdsOn(replica.grpcTarget());
        assertEquals(DEVICES / 2, moving.size(), "round-robin over the two replicas");
        assertEquals(DEVICES / 2, tool.deviceIdsOn(survivor).size());

        replica.kill();
        Instant killed = Instant.now();
        Waits.until(
            "every device back, on the survivor",
            Duration.ofSeconds(30),
            () -> {
              FleetSnapshot now = tool.snapshot();
              return now.connected() == DEVICES && tool.deviceIdsOn(survivor).size() == DEVICES;
            });
        FleetSnapshot after = tool.snapshot();
        assertTrue(after.failovers() >= moving.size(), after.toString());
        assertEquals(DEVICES, new HashSet<>(tool.deviceIds()).size());
        // The survivor hears from the moved devices: their heartbeats update lastSeenAt.
        Waits.until(
            "the survivor to see the moved devices",
            Duration.ofSeconds(15),
            () ->
                moving.stream()
                    .allMatch(
                        id ->
                            Instant.parse(
                                    running
                                        .fleet()
                                        .admin()
                                        .get("/api/v1/devices/" + id)
                                        .path("lastSeenAt")
                                        .asText())
                                .isAfter(killed)));
      }
    }
  }
}
