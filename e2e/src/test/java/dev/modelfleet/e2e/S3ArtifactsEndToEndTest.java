package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 16: two server replicas whose artifacts are in one S3 bucket (S3Proxy, a real S3 server
 * process) and on no shared disk. A model uploaded through one replica reaches an agent connected
 * to the other, which downloads it straight from the bucket with a presigned URL; an object
 * tampered with in the bucket is refused by the agent (sha256) and reported as a failed deployment
 * while the model it had keeps serving.
 */
class S3ArtifactsEndToEndTest {

  private static final String BUCKET = "fleet-artifacts";

  static Path work;
  static S3ProxyServer s3;
  static ServerProcess uploads;
  static ServerProcess devices;
  static Fleet viaUploads;
  static Fleet viaDevices;

  @BeforeAll
  static void start() throws Exception {
    work = Files.createTempDirectory("modelfleet-e2e-s3-");
    s3 = S3ProxyServer.start(work, BUCKET);
    Map<String, String> env = new HashMap<>(s3.serverEnv(BUCKET));
    env.putAll(ServerProcess.PLAINTEXT_AGENTS);
    env.put("MODELFLEET_ARTIFACT_DIR", work.resolve("replica-a-scratch").toString());
    // whole artifacts only: the tamper check edits the variant's object in the bucket, and a
    // compressed copy made in the background would carry the untouched bytes
    env.put("MODELFLEET_DELTA_COMPRESSION", "false");
    RepoLayout repo = RepoLayout.find();
    uploads = ServerProcess.start(repo, work, TestDatabase.NAME, env);
    // The other replica shares the database, the signing keys and the bucket; its local
    // artifact directory (upload scratch space only) is its own.
    devices =
        uploads.replica(
            "replica-b",
            Map.of("MODELFLEET_ARTIFACT_DIR", work.resolve("replica-b-scratch").toString()));
    viaUploads = new Fleet(repo, uploads, work);
    viaDevices = new Fleet(repo, devices, work);
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable closeable :
        new AutoCloseable[] {viaDevices, viaUploads, devices, uploads, s3}) {
      if (closeable != null) {
        closeable.close();
      }
    }
    if (work != null) {
      try (var paths = Files.walk(work)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }

  @Test
  void aModelUploadedToOneReplicaReachesADeviceOfTheOtherFromTheBucket() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String model = "s3-" + run;
    AgentProcess agent = viaDevices.startAgent("s3-device-" + run, Map.of("s3run", run));
    viaUploads.createModel(model);
    viaUploads.createVersion(model, "1");
    byte[] v1 = SampleModels.classifier(161);
    String sha1 = viaUploads.uploadVariant(model, "1", v1).path("sha256").asText();
    assertTrue(Files.isRegularFile(s3.object(BUCKET, key(sha1))), "the upload is in the bucket");
    assertFalse(
        Files.exists(work.resolve("replica-a-scratch").resolve("sha256")),
        "and not on the replica's disk");

    viaUploads.assign(model, "1", "s3run=" + run);
    viaDevices.awaitActive(model, "1", List.of(agent), Duration.ofSeconds(90), System.err::println);

    // Someone with write access to the bucket swaps the bytes of the next version.
    viaUploads.createVersion(model, "2");
    byte[] v2 = SampleModels.classifier(162);
    String sha2 = viaUploads.uploadVariant(model, "2", v2).path("sha256").asText();
    Path object = s3.object(BUCKET, key(sha2));
    byte[] tampered = Files.readAllBytes(object);
    tampered[tampered.length / 2] ^= 0x5a;
    Files.write(object, tampered);

    viaUploads.assign(model, "2", "s3run=" + run);
    String deviceId = viaDevices.deviceIdOf(agent);
    JsonNode failed =
        Waits.until(
            "the tampered version refused and reported",
            Duration.ofSeconds(90),
            () -> {
              agent.requireAliveFor("refusing a tampered artifact");
              JsonNode status = viaUploads.deploymentOf(deviceId, model);
              return "FAILED".equalsIgnoreCase(status.path("state").asText())
                      && "2".equals(status.path("version").asText())
                  ? status
                  : null;
            });
    assertTrue(failed.toString().contains("sha256"), "the report says why: " + failed.toString());
    assertTrue(
        agent.logTail(200).contains("sha256"), "and so does the agent: " + agent.logTail(20));
  }

  private static String key(String sha256) {
    return "sha256/" + sha256.substring(0, 2) + "/" + sha256;
  }
}
