package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** variants derive --samples uploads the NumPy files first and names them in the job. */
class DeriveSamplesTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SAMPLES = "/api/v1/models/detector/versions/1.2.0/derivation-samples";
  private static final String JOBS = "/api/v1/models/detector/versions/1.2.0/derivations";
  private static final String VALIDATION_ID = "a".repeat(64);
  private static final String CALIBRATION_ID = "b".repeat(64);

  @TempDir Path dir;
  private FakeServer server;

  @BeforeEach
  void aServerThatStoresSamples() {
    server = FakeServer.http();
    server.on(
        "POST",
        SAMPLES,
        (exchange, request) ->
            FakeServer.send(
                exchange,
                201,
                "application/json",
                "{\"id\":\""
                    + (request.body().length == 200 ? VALIDATION_ID : CALIBRATION_ID)
                    + "\",\"format\":\"npy\",\"size\":"
                    + request.body().length
                    + ",\"samples\":16,\"shapes\":{\"x\":[1,3,320,320]}}"));
    server.json(
        "POST",
        JOBS,
        202,
        "{\"id\":\"5b1e3c9e-6a11-4f3c-9a53-0c4b9a1d2e77\",\"model\":\"detector\","
            + "\"version\":\"1.2.0\",\"kinds\":[\"int8-static\"],\"state\":\"queued\","
            + "\"step\":\"queued\",\"percent\":0,\"attempts\":0,\"variants\":[]}");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void bothFilesGoUpWholeAndTheJobNamesThemKeepingTheCalibrationMethod() throws Exception {
    Path validation = dir.resolve("val.npy");
    Path calibration = dir.resolve("calib.npy");
    byte[] v = new byte[200];
    byte[] c = new byte[300];
    new Random(1).nextBytes(v);
    new Random(2).nextBytes(c);
    Files.write(validation, v);
    Files.write(calibration, c);
    Path settings = dir.resolve("calibration.yaml");
    Files.writeString(settings, "method: percentile\npercentile: 99.9\n");

    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run(
                "variants",
                "derive",
                "detector",
                "1.2.0",
                "--kinds",
                "int8-static",
                "--samples",
                validation.toString(),
                "--calibration",
                settings.toString(),
                "--calibration-samples",
                calibration.toString());

    assertEquals(0, result.exit(), result.toString());
    List<FakeServer.Request> uploads = server.requests("POST", SAMPLES);
    assertEquals(2, uploads.size());
    assertEquals("application/octet-stream", uploads.get(0).header("Content-Type"));
    assertArrayEquals(v, uploads.get(0).body());
    assertArrayEquals(c, uploads.get(1).body());
    JsonNode job = JSON.readTree(server.requests("POST", JOBS).get(0).body());
    assertEquals(VALIDATION_ID, job.path("validation").path("samplesFile").asText());
    assertEquals(CALIBRATION_ID, job.path("calibration").path("samplesFile").asText());
    assertEquals("percentile", job.path("calibration").path("method").asText());
    assertTrue(result.err().contains("uploaded val.npy"), result.err());
    assertTrue(result.err().contains("server checked the samples in "), result.err());
  }

  @Test
  void comparatorsAndFloorsGoIntoTheJobPerOutputAndKind() throws Exception {
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run(
                "variants",
                "derive",
                "detector",
                "1.2.0",
                "--kinds",
                "int8-dynamic,fp16",
                "--compare",
                "maps=iou@0.3>=0.95",
                "--compare",
                "maps=cosine>=0.97",
                "--compare",
                "scores=top1>=0.99",
                "--floor",
                "fp16=0.999");

    assertEquals(0, result.exit(), result.toString());
    JsonNode job = JSON.readTree(server.requests("POST", JOBS).get(0).body());
    assertEquals(
        JSON.readTree(
            "{\"maps\":[\"iou@0.3>=0.95\",\"cosine>=0.97\"],\"scores\":[\"top1>=0.99\"]}"),
        job.path("comparators"));
    assertEquals(0.999, job.path("floors").path("fp16").asDouble());
  }

  @Test
  void aPolicyTakesComparatorsAndFloorsAsDeriveDoes() throws Exception {
    String policy = "/api/v1/models/detector/derivation-policy";
    server.json(
        "PUT",
        policy,
        200,
        "{\"model\":\"detector\",\"kinds\":[\"fp16\"],\"accuracyFloor\":0.99,"
            + "\"comparators\":{\"maps\":[\"iou@0.3>=0.95\"]},\"floors\":{\"fp16\":0.999},"
            + "\"createdAt\":\"2026-12-07T05:00:00Z\"}");
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run(
                "models",
                "policy",
                "set",
                "detector",
                "--kinds",
                "fp16",
                "--compare",
                "maps=iou@0.3>=0.95",
                "--floor",
                "fp16=0.999");

    assertEquals(0, result.exit(), result.toString());
    JsonNode body = JSON.readTree(server.requests("PUT", policy).get(0).body());
    assertEquals(JSON.readTree("{\"maps\":[\"iou@0.3>=0.95\"]}"), body.path("comparators"));
    assertEquals(0.999, body.path("floors").path("fp16").asDouble());
    assertTrue(result.out().contains("iou@0.3>=0.95"), result.out());
  }

  @Test
  void aComparatorWithoutItsOutputIsAUsageErrorBeforeAnyRequest() {
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run(
                "variants",
                "derive",
                "detector",
                "1.2.0",
                "--kinds",
                "fp16",
                "--compare",
                "iou@0.3>=0.95");

    assertEquals(2, result.exit(), result.toString());
    assertTrue(result.err().contains("is not NAME=VALUE"), result.err());
    assertTrue(result.err().contains("--compare maps=iou@0.3>=0.95"), result.err());
    assertTrue(server.requests("POST", JOBS).isEmpty());
  }

  @Test
  void aMissingFileIsAUsageErrorBeforeAnyUpload() {
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run(
                "variants",
                "derive",
                "detector",
                "1.2.0",
                "--kinds",
                "int8-dynamic",
                "--samples",
                dir.resolve("nope.npy").toString());

    assertEquals(2, result.exit(), result.toString());
    assertTrue(result.err().contains("cannot read"), result.err());
    assertEquals(0, server.requests().size());
  }
}
