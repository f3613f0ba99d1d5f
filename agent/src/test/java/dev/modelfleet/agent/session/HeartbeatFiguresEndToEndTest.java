package dev.modelfleet.agent.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.lifecycle.Agent;
import dev.modelfleet.agent.testing.AgentUnderTest;
import dev.modelfleet.agent.testing.Eventually;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real inference through the agent's HTTP API, then the heartbeats the agent sends to a gRPC
 * control plane: figures per version, the replaced version's kept after a swap, each with the
 * provider its session runs on.
 */
class HeartbeatFiguresEndToEndTest {

  static final String GOOD =
      """
      {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""";
  static final String WRONG_INPUT =
      """
      {"inputs":[{"name":"x","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""";

  @TempDir Path dir;
  final FleetFixture fleet = new FleetFixture();
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void heartbeatsCarryEachVersionsCountsLatencyAndProvider() throws Exception {
    byte[] v1 = SampleModels.classifier(1);
    byte[] v2 = SampleModels.classifier(2);
    try (FakeControlPlane server = new FakeControlPlane(fleet)) {
      server.artifacts.put(Dsse.sha256Hex(v1), v1);
      server.artifacts.put(Dsse.sha256Hex(v2), v2);
      server.desiredState =
          fleet.signDesired(fleet.desiredState(fleet.desiredModel("classifier", "1", v1)));
      // A simulated NPU whose sessions report the NPU, so the provider in the heartbeat can
      // only come from the served model, not from a default.
      try (Agent agent =
          AgentUnderTest.start(
              dir,
              fleet,
              server,
              Map.of(
                  "simulate-profile",
                  AgentUnderTest.resource("profiles/rk3588-npu.json").toString(),
                  "simulate-provider-fallback",
                  "false"))) {
        DeploymentProgress first = AgentUnderTest.settled(server);
        assertEquals(DeploymentState.DEPLOYMENT_STATE_ACTIVE, first.getState(), first.getReason());
        int port = Integer.parseInt(Files.readString(dir.resolve("state/inference.port")).trim());

        infer(port, GOOD, 200, 5);
        infer(port, WRONG_INPUT, 400, 2);
        infer(port, "{\"inputs\":[", 400, 1);

        VariantManifest npu =
            fleet.manifest("classifier", "2", v2).toBuilder()
                .setVariantId("classifier-2-rknpu-int8")
                .setExecutionProvider("rknpu")
                .build();
        SignedEnvelope second = fleet.signDesired(fleet.desiredState(fleet.desiredModel(npu)));
        server.desiredState = second;
        server.push(ServerMessage.newBuilder().setDesiredState(second).build());
        DeploymentProgress swapped = AgentUnderTest.settled(server);
        assertEquals(
            DeploymentState.DEPLOYMENT_STATE_ACTIVE, swapped.getState(), swapped.getReason());
        assertEquals("rknpu", swapped.getExecutionProviderUsed());

        infer(port, GOOD, 200, 3);

        Heartbeat beat = heartbeatWith(server, "2", 3);
        assertEquals(2, beat.getCountersCount(), beat.toString());
        ModelCounters replaced = counters(beat, "1").orElseThrow();
        assertEquals("classifier", replaced.getModel());
        assertEquals(5, replaced.getRequests(), "refused requests never reached the model");
        assertEquals(0, replaced.getErrors());
        assertEquals("classifier-1-cpu-fp32", replaced.getVariantId());
        assertEquals(first.getExecutionProviderUsed(), replaced.getExecutionProviderUsed());
        assertEquals("cpu", replaced.getExecutionProviderUsed());
        assertTrue(
            replaced.getP50Ms() > 0 && replaced.getP95Ms() >= replaced.getP50Ms(),
            replaced.toString());

        ModelCounters current = counters(beat, "2").orElseThrow();
        assertEquals(0, current.getErrors());
        assertEquals("classifier-2-rknpu-int8", current.getVariantId());
        assertEquals("rknpu", current.getExecutionProviderUsed());
        assertTrue(
            current.getP50Ms() > 0 && current.getP95Ms() >= current.getP50Ms(), current.toString());
        // A model run of this few-hundred-byte model is far below a second; the HTTP round
        // trip is not in the figure.
        assertTrue(current.getP95Ms() < 1000, current.toString());
      }
    }
  }

  void infer(int port, String body, int expectedStatus, int times) throws Exception {
    for (int i = 0; i < times; i++) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/v2/models/classifier/infer"))
                  .POST(HttpRequest.BodyPublishers.ofString(body))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(expectedStatus, response.statusCode(), response.body());
    }
  }

  static Optional<ModelCounters> counters(Heartbeat beat, String version) {
    return beat.getCountersList().stream()
        .filter(c -> c.getModel().equals("classifier") && c.getVersion().equals(version))
        .findFirst();
  }

  /** The first heartbeat (within 20 s) in which {@code version} has {@code requests}. */
  static Heartbeat heartbeatWith(FakeControlPlane server, String version, long requests)
      throws InterruptedException {
    return Eventually.next(
        server.heartbeats,
        Duration.ofSeconds(20),
        "heartbeat with " + requests + " requests for version " + version,
        beat -> counters(beat, version).map(c -> c.getRequests() == requests).orElse(false));
  }
}
