package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * The real agent under mutual TLS (the default) downloads its models over the server's HTTPS
 * artifact port with its device certificate, not over gRPC FetchArtifact; bytes tampered with on
 * the server's disk are still refused by their sha256 and reported.
 */
class HttpsArtifactPathEndToEndTest {

  /**
   * No compressed copies: this test is about the whole artifact's path and its bytes on disk (a
   * copy made in the background would carry the untampered bytes, and arrive or not by timing).
   */
  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(Map.of("MODELFLEET_DELTA_COMPRESSION", "false"));

  @Test
  @Timeout(240)
  void anAgentUnderMutualTlsDownloadsOverHttpsAndStillRefusesTamperedBytes() throws Exception {
    assertTrue(running.server().mutualTls(), "the default is mutual TLS");
    String run = UUID.randomUUID().toString().substring(0, 8);
    String model = "https-" + run;
    Fleet fleet = running.fleet();
    AgentProcess agent = fleet.startAgent("e2e-https-" + run, Map.of("https-run", run));
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    byte[] v1 = SampleModels.classifier(171);
    fleet.uploadVariant(model, "1", v1);
    fleet.assign(model, "1", "https-run=" + run);
    fleet.awaitActive(model, "1", List.of(agent), Duration.ofSeconds(90), line -> {});

    assertTrue(
        served("https") >= v1.length,
        "the artifact went out over HTTPS: " + served("https") + " bytes");
    assertEquals(0, served("grpc"), "and nothing over FetchArtifact");
    assertFalse(agent.logTail(200).contains("using FetchArtifact"), agent.logTail(40));

    // Someone with write access to the server's artifact directory swaps the next version's bytes.
    fleet.createVersion(model, "2");
    String sha2 =
        fleet.uploadVariant(model, "2", SampleModels.classifier(172)).path("sha256").asText();
    Path file =
        running
            .workDir()
            .resolve("artifacts")
            .resolve("sha256")
            .resolve(sha2.substring(0, 2))
            .resolve(sha2);
    byte[] tampered = Files.readAllBytes(file);
    tampered[tampered.length / 2] ^= 0x5a;
    Files.write(file, tampered);
    fleet.assign(model, "2", "https-run=" + run);
    String deviceId = fleet.deviceIdOf(agent);
    JsonNode failed =
        Waits.until(
            "the tampered version refused and reported",
            Duration.ofSeconds(90),
            () -> {
              agent.requireAliveFor("refusing a tampered artifact");
              JsonNode status = fleet.deploymentOf(deviceId, model);
              return "FAILED".equalsIgnoreCase(status.path("state").asText())
                      && "2".equals(status.path("version").asText())
                  ? status
                  : null;
            });
    assertTrue(failed.toString().contains("sha256"), "the report says why: " + failed);
    assertEquals(0, served("grpc"), "still nothing over FetchArtifact");
  }

  /** The server's {@code modelfleet_artifact_served_bytes_total} for one download path. */
  private static long served(String path) {
    String metrics = running.fleet().admin().getText("/q/metrics");
    Matcher m =
        Pattern.compile(
                "(?m)^modelfleet_artifact_served_bytes_total\\{[^}]*path=\""
                    + path
                    + "\"[^}]*\\} ([0-9.eE+]+)$")
            .matcher(metrics);
    if (!m.find()) {
      throw new AssertionError("no served-bytes series for " + path + " in /q/metrics");
    }
    return (long) Double.parseDouble(m.group(1));
  }
}
