package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.onnx.samples.FineTunes;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real agent gets version 1 as its compressed copy (nothing to make a delta from), then a
 * fine-tuned version 2 as a delta: far fewer bytes leave the server, the rebuilt file is byte for
 * byte version 2 and serves. A delta tampered with in the store is refused by its sha256, the agent
 * takes the compressed copy instead and the server shows why.
 */
class DeltaEndToEndTest {

  // heartbeats every 2 s: the server learns soon what the device runs, the base of its delta
  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(Map.of("MODELFLEET_HEARTBEAT_INTERVAL", "2s"));

  private static final Duration LIMIT = Duration.ofSeconds(120);

  @Test
  @Timeout(420)
  void aFineTunedVersionArrivesAsADeltaAndATamperedDeltaFallsBackToTheWholeFile() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String model = "delta-" + run;
    String selector = "delta-run=" + run;
    Fleet fleet = running.fleet();
    AgentProcess agent = fleet.startAgent("e2e-delta-" + run, Map.of("delta-run", run));
    String deviceId = fleet.deviceIdOf(agent);
    fleet.createModel(model);

    // version 1: a 2 MB classifier; 2 and 3: its head (the last Gemm's weights and bias)
    // fine-tuned, a tenth of those values nudged by about 1 %
    byte[] v1 = SampleModels.classifier(181, 256, 2048, 10);
    byte[] v2 = FineTunes.fineTuned(v1, 2, 0.1, 182);
    byte[] v3 = FineTunes.fineTuned(v2, 2, 0.1, 183);
    fleet.createVersion(model, "1");
    String sha1 = fleet.uploadVariant(model, "1", v1).path("sha256").asText();
    // nothing to make a delta from: version 1 goes compressed whole (fp32 weights shrink a little)
    JsonNode compressed1 = compressionWeighed(fleet, model, "1");
    assertTrue(compressed1.path("kept").asBoolean(), compressed1.toString());
    long servedBefore = served();
    fleet.assign(model, "1", selector);
    fleet.awaitActive(model, "1", List.of(agent), LIMIT, line -> {});
    assertEquals(
        compressed1.path("size").asLong(),
        served() - servedBefore,
        "only the compressed copy's bytes went out");
    assertTrue(
        fleet.deploymentOf(deviceId, model).path("deliveredCompressed").asBoolean(),
        fleet.deploymentOf(deviceId, model).toString());
    assertArrayEquals(
        v1,
        Files.readAllBytes(agent.stateDir().resolve("artifacts").resolve(sha1 + ".onnx")),
        "the decompressed file is version 1, byte for byte");
    awaitInstalled(fleet, deviceId, model, sha1);

    fleet.createVersion(model, "2");
    String sha2 = fleet.uploadVariant(model, "2", v2).path("sha256").asText();
    JsonNode delta2 = deltasWhenWeighed(fleet, model, "2", 1).get(0);
    assertTrue(delta2.path("kept").asBoolean(), delta2.toString());
    compressionWeighed(fleet, model, "2");
    servedBefore = served();
    fleet.assign(model, "2", selector);
    fleet.awaitActive(model, "2", List.of(agent), LIMIT, line -> {});

    long fetched = served() - servedBefore;
    assertEquals(delta2.path("size").asLong(), fetched, "only the delta's bytes went out");
    assertTrue(fetched < v2.length / 10, fetched + " bytes fetched for " + v2.length);
    JsonNode status = fleet.deploymentOf(deviceId, model);
    assertTrue(status.path("deliveredByDelta").asBoolean(), status.toString());
    assertArrayEquals(
        v2,
        Files.readAllBytes(agent.stateDir().resolve("artifacts").resolve(sha2 + ".onnx")),
        "the rebuilt file is version 2, byte for byte");
    InferenceClient client = new InferenceClient(agent.inferenceUri());
    assertEquals(
        "2", client.inferWithSyntheticInputs(model).path("model_version").asText(), "and serves");
    awaitInstalled(fleet, deviceId, model, sha2);

    // version 3's delta from version 2 is damaged in the store
    fleet.createVersion(model, "3");
    fleet.uploadVariant(model, "3", v3);
    JsonNode compressed3 = compressionWeighed(fleet, model, "3");
    assertTrue(compressed3.path("kept").asBoolean(), compressed3.toString());
    JsonNode fromTwo = null;
    for (JsonNode d : deltasWhenWeighed(fleet, model, "3", 2)) {
      if ("2".equals(d.path("baseVersion").asText())) {
        fromTwo = d;
      }
    }
    assertTrue(fromTwo != null && fromTwo.path("kept").asBoolean(), String.valueOf(fromTwo));
    Path stored = storedArtifact(fromTwo.path("sha256").asText());
    byte[] tampered = Files.readAllBytes(stored);
    tampered[tampered.length / 2] ^= 0x5a;
    Files.write(stored, tampered);
    servedBefore = served();
    fleet.assign(model, "3", selector);
    fleet.awaitActive(model, "3", List.of(agent), LIMIT, line -> {});

    status = fleet.deploymentOf(deviceId, model);
    assertFalse(status.path("deliveredByDelta").asBoolean(), status.toString());
    assertTrue(
        status.path("deltaFallbackReason").asText().startsWith("delta-download-failed"),
        "the server shows why the delta was not used: " + status);
    assertTrue(
        status.path("deliveredCompressed").asBoolean(),
        "after the delta, the compressed copy: " + status);
    long afterDelta = served() - servedBefore;
    assertTrue(
        afterDelta >= compressed3.path("size").asLong() && afterDelta < v3.length,
        afterDelta + " bytes went out for the failed delta and the compressed copy");
    assertEquals(
        "3", client.inferWithSyntheticInputs(model).path("model_version").asText(), "and serves");
  }

  private static void awaitInstalled(Fleet fleet, String deviceId, String model, String sha256) {
    Waits.until(
        "the device reports " + model + " " + sha256 + " installed",
        LIMIT,
        () -> {
          for (JsonNode m : fleet.admin().get("/api/v1/devices/" + deviceId).path("installed")) {
            if (model.equals(m.path("model").asText())
                && sha256.equals(m.path("sha256").asText())
                && m.path("active").asBoolean()) {
              return true;
            }
          }
          return false;
        });
  }

  private static JsonNode deltasWhenWeighed(Fleet fleet, String model, String version, int count) {
    return Waits.until(
        count + " delta(s) weighed for " + model + " " + version,
        LIMIT,
        () -> {
          JsonNode deltas =
              fleet.admin().get("/api/v1/models/" + model + "/versions/" + version + "/deltas");
          return deltas.size() >= count ? deltas : null;
        });
  }

  private static JsonNode compressionWeighed(Fleet fleet, String model, String version) {
    return Waits.until(
        model + " " + version + " weighed compressed whole",
        LIMIT,
        () -> {
          JsonNode weighed =
              fleet
                  .admin()
                  .get("/api/v1/models/" + model + "/versions/" + version + "/compressions");
          return weighed.size() >= 1 ? weighed.get(0) : null;
        });
  }

  private static Path storedArtifact(String sha256) {
    return running
        .workDir()
        .resolve("artifacts")
        .resolve("sha256")
        .resolve(sha256.substring(0, 2))
        .resolve(sha256);
  }

  /** Every artifact byte the server sent, whichever path (HTTPS, HTTP, gRPC). */
  private static long served() {
    String metrics = running.fleet().admin().getText("/q/metrics");
    Matcher m =
        Pattern.compile("(?m)^modelfleet_artifact_served_bytes_total\\{[^}]*\\} ([0-9.eE+]+)$")
            .matcher(metrics);
    long total = 0;
    while (m.find()) {
      total += (long) Double.parseDouble(m.group(1));
    }
    return total;
  }
}
