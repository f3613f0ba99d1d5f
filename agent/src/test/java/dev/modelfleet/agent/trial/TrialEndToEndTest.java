package dev.modelfleet.agent.trial;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.lifecycle.Agent;
import dev.modelfleet.agent.testing.AgentUnderTest;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.TrialReport;
import dev.modelfleet.protocol.agent.v1.TrialRequest;
import dev.modelfleet.protocol.agent.v1.TrialResult;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Variant trials through the whole agent over a real socket, while a model is in service:
 * candidates are verified, downloaded, timed and reported; the served model is untouched.
 */
class TrialEndToEndTest {

  @TempDir Path dir;
  final FleetFixture fleet = new FleetFixture();
  final byte[] served = SampleModels.classifier(5);
  FakeControlPlane server;
  Agent agent;

  @BeforeEach
  void agentServingAModel() throws Exception {
    server = new FakeControlPlane(fleet);
    server.artifacts.put(Dsse.sha256Hex(served), served);
    server.desiredState =
        fleet.signDesired(fleet.desiredState(fleet.desiredModel("classifier", "5", served)));
    agent = AgentUnderTest.start(dir, fleet, server, Map.of());
    DeploymentProgress active = AgentUnderTest.settled(server);
    assertEquals(DeploymentState.DEPLOYMENT_STATE_ACTIVE, active.getState(), active.getReason());
  }

  @AfterEach
  void stop() {
    agent.close();
    server.close();
  }

  SignedEnvelope candidate(byte[] artifact, String variantId, String provider) {
    server.artifacts.put(Dsse.sha256Hex(artifact), artifact);
    VariantManifest manifest =
        fleet.manifest("classifier", "6", artifact).toBuilder()
            .setVariantId(variantId)
            .setExecutionProvider(provider)
            .build();
    return FleetFixture.sign(manifest, Dsse.VARIANT_MANIFEST_TYPE, fleet.targets);
  }

  TrialReport trial(TrialRequest.Builder request) throws InterruptedException {
    server.push(ServerMessage.newBuilder().setTrial(request).build());
    TrialReport report = server.trials.poll(60, TimeUnit.SECONDS);
    assertNotNull(report, "a TrialReport answers the TrialRequest");
    return report;
  }

  @Test
  void timesTwoVariantsAndLeavesTheServedModelAlone() throws Exception {
    byte[] small = SampleModels.classifier(6);
    byte[] large = SampleModels.classifier(6, 64, 512, 10);
    TrialReport report =
        trial(
            TrialRequest.newBuilder()
                .setTrialId("t-1")
                .setRuns(30)
                .addManifests(candidate(small, "classifier-6-cpu-fp32", "cpu"))
                .addManifests(candidate(large, "classifier-6-cuda-fp32", "cuda")));

    assertEquals("t-1", report.getTrialId());
    assertEquals(2, report.getResultsCount());
    for (TrialResult result : report.getResultsList()) {
      assertEquals("", result.getError(), result.getReasonCode());
      assertEquals(30, result.getRuns());
      assertTrue(
          result.getP50Ms() > 0 && result.getP95Ms() >= result.getP50Ms(), result.toString());
      assertTrue(result.getLoadMs() >= 0 && result.getPeakMemoryBytes() >= 0);
      assertEquals(
          "cpu",
          result.getExecutionProviderUsed(),
          "no GPU here: the cuda variant fell back to the CPU, and the report says so");
    }
    assertEquals("classifier-6-cpu-fp32", report.getResults(0).getVariantId());
    assertEquals(Dsse.sha256Hex(large), report.getResults(1).getSha256());

    assertEquals("5", agent.registry().peek("classifier").version(), "trials never swap");
    assertEquals(Dsse.sha256Hex(served), agent.store().current().active("classifier").sha256());
    assertTrue(Files.exists(agent.store().artifact(Dsse.sha256Hex(served))));
  }

  @Test
  void refusesUnverifiableAndMisfittingCandidatesOneByOne() throws Exception {
    byte[] model = SampleModels.classifier(7);
    server.artifacts.put(Dsse.sha256Hex(model), model);
    VariantManifest manifest = fleet.manifest("classifier", "7", model);
    SignedEnvelope byRootKey = FleetFixture.sign(manifest, Dsse.VARIANT_MANIFEST_TYPE, fleet.root);
    SignedEnvelope forArm =
        FleetFixture.sign(
            manifest.toBuilder().setArch("aarch64").setVariantId("classifier-7-arm").build(),
            Dsse.VARIANT_MANIFEST_TYPE,
            fleet.targets);
    SignedEnvelope wrongType = FleetFixture.sign(manifest, Dsse.DESIRED_STATE_TYPE, fleet.targets);
    boolean x86 = agentArch().equals("x86_64");
    int fetchesBefore = server.fetchOffsets.size();

    TrialReport report =
        trial(
            TrialRequest.newBuilder()
                .setTrialId("t-2")
                .addManifests(byRootKey)
                .addManifests(forArm)
                .addManifests(wrongType));

    assertEquals(
        "unknown-key", report.getResults(0).getReasonCode(), report.getResults(0).getError());
    assertEquals(
        x86 ? "hardware-mismatch" : "",
        report.getResults(1).getReasonCode(),
        report.getResults(1).getError());
    assertEquals("payload-type-mismatch", report.getResults(2).getReasonCode());
    assertEquals(
        fetchesBefore + (x86 ? 0 : 1),
        server.fetchOffsets.size(),
        "refused candidates are never downloaded");
  }

  private static String agentArch() {
    String arch = System.getProperty("os.arch");
    return arch.equals("amd64") ? "x86_64" : arch;
  }
}
