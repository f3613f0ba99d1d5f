package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fleet simulator against a server as deployed (mutual TLS on the agent port): each simulated
 * device enrolls with a certificate request, connects with its own device certificate and downloads
 * over the server's HTTPS artifact port, as the agent does; nothing goes over FetchArtifact.
 */
class SimulatedFleetMutualTlsTest {

  private static final int DEVICES = 4;

  /** Whole artifacts only: the bytes counted on the HTTPS path are the variant's own. */
  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(Map.of("MODELFLEET_DELTA_COMPRESSION", "false"));

  @Test
  @Timeout(180)
  void simulatedDevicesEnrollWithCertificatesAndDownloadOverHttps() throws Exception {
    assertTrue(running.server().mutualTls(), "the default is mutual TLS");
    String run = UUID.randomUUID().toString().substring(0, 8);
    Fleet fleet = running.fleet();
    JsonNode token =
        fleet
            .admin()
            .post(
                "/api/v1/enrollment-tokens",
                Map.of(
                    "name",
                    "sim-mtls-" + run,
                    "labels",
                    Map.of("sim-mtls", run),
                    "maxUses",
                    DEVICES,
                    "expiresInSeconds",
                    3600));
    SimulatorOptions options =
        SimulatorOptions.parse(
            "--server",
            running.server().grpcTarget(),
            "--token",
            token.path("token").asText(),
            "--devices",
            Integer.toString(DEVICES),
            "--root-key",
            fleet.rootKey().toString(),
            "--server-ca",
            fleet.serverCa().toString(),
            "--download-path",
            "https",
            "--name-prefix",
            "sim-mtls-" + run);
    long httpsBefore = served("https");
    long grpcBefore = served("grpc");

    try (SimulatedFleet sim = SimulatedFleet.start(options, System.err)) {
      Waits.until(
          DEVICES + " devices enrolled with certificates and connected",
          Duration.ofSeconds(60),
          () -> sim.snapshot().connected() == DEVICES);
      String model = "sim-mtls-" + run;
      fleet.createModel(model);
      fleet.createVersion(model, "1");
      byte[] onnx = SampleModels.classifier(181);
      fleet.uploadVariant(model, "1", onnx);
      fleet.assign(model, "1", "sim-mtls=" + run);
      Waits.until(
          "every simulated device serving version 1",
          Duration.ofSeconds(90),
          () -> sim.snapshot().serving(model, "1") == DEVICES);

      FleetSnapshot after = sim.snapshot();
      assertEquals(DEVICES, after.httpDownloads(), after.toString());
      assertEquals(0, after.grpcDownloads(), after.toString());
      assertEquals(0, after.httpFallbacks(), after.toString());
      assertTrue(
          served("https") - httpsBefore >= (long) DEVICES * onnx.length,
          "the server sent every copy over HTTPS: " + (served("https") - httpsBefore));
      assertEquals(grpcBefore, served("grpc"), "and nothing over FetchArtifact");
    }
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
    return m.find() ? (long) Double.parseDouble(m.group(1)) : 0;
  }
}
