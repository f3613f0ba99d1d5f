package dev.modelfleet.agent.lifecycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.config.AgentConfig;
import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.testing.Eventually;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.EnrollmentProof;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.Hello;
import io.grpc.Status;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole agent against a grpc-java control plane on a real socket: enroll, sync, download,
 * activate, serve over HTTP; then a restart with no server that serves the model from disk.
 */
class AgentEndToEndTest {

  static final String INFER =
      """
      {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""";

  @TempDir Path dir;
  final FleetFixture fleet = new FleetFixture();
  final HttpClient http = HttpClient.newHttpClient();

  AgentConfig config(String server, String token) throws Exception {
    Path rootPem = dir.resolve("root.pem");
    Files.writeString(rootPem, Ed25519.toPem(fleet.rootKeySpki()));
    Map<String, String> flags = new HashMap<>();
    if (server != null) {
      flags.put("server", server);
    }
    if (token != null) {
      flags.put("token", token);
    }
    flags.put("root-key", rootPem.toString());
    flags.put("state-dir", dir.resolve("state").toString());
    flags.put("http-port", "0");
    flags.put("name", "test-device");
    return AgentConfig.load(null, flags);
  }

  HttpResponse<String> post(int port, String path, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  int status(int port, String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  DeploymentProgress awaitState(FakeControlPlane server, DeploymentState state) throws Exception {
    return Eventually.next(
        server.progress,
        Duration.ofSeconds(20),
        state + " progress",
        p -> p.getState() == state || p.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED);
  }

  @Test
  void enrollsSyncsActivatesServesAndAfterARestartServesOfflineFromDisk() throws Exception {
    byte[] model = SampleModels.classifier(5);
    Path stateDir = dir.resolve("state");
    try (FakeControlPlane server = new FakeControlPlane(fleet)) {
      server.artifacts.put(Dsse.sha256Hex(model), model);
      server.chunkSize = 100; // several chunks, to exercise streaming
      server.desiredState =
          fleet.signDesired(fleet.desiredState(fleet.desiredModel("classifier", "5", model)));
      try (Agent agent = new Agent(config(server.address(), "good-token"))) {
        int port = agent.startLocal();
        assertEquals(
            port, Integer.parseInt(Files.readString(stateDir.resolve("inference.port")).trim()));
        agent.connect();
        Hello hello = server.hellos.poll(20, TimeUnit.SECONDS);
        assertNotNull(hello);
        assertFalse(hello.getHardware().getArch().isEmpty());
        assertTrue(hello.getHardware().getExecutionProvidersList().contains("cpu"));
        DeploymentProgress active = awaitState(server, DeploymentState.DEPLOYMENT_STATE_ACTIVE);
        assertEquals(
            DeploymentState.DEPLOYMENT_STATE_ACTIVE, active.getState(), active.getReason());
        assertEquals(1, active.getGeneration());
        assertEquals(200, post(port, "/v2/models/classifier/infer", INFER).statusCode());
        assertTrue(
            server.authorizations.stream()
                .allMatch(a -> a.equals("Bearer " + FakeControlPlane.CREDENTIAL)),
            server.authorizations.toString());
        assertEquals(java.util.List.of("good-token"), server.enrollTokens);
      }
    }
    // Owner-only state directory and secrets.
    assertEquals(
        Set.of(
            PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE),
        Files.getPosixFilePermissions(stateDir));
    for (String secret : new String[] {"device.key", "identity.json", "state.json"}) {
      assertEquals(
          Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
          Files.getPosixFilePermissions(stateDir.resolve(secret)),
          secret);
    }

    // Restart with the server gone: the model is back before any connection is attempted.
    long start = System.nanoTime();
    try (Agent restarted = new Agent(config(null, null))) {
      int port = restarted.startLocal();
      long startToReadyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertEquals(200, status(port, "/v2/health/ready"));
      HttpResponse<String> response = post(port, "/v2/models/classifier/infer", INFER);
      assertEquals(200, response.statusCode(), response.body());
      assertTrue(response.body().contains("\"model_version\":\"5\""), response.body());
      System.out.println("restart to ready with a model on disk: " + startToReadyMs + " ms");
    }

    // A model file damaged while the agent was down: not served, not ready, 503 not 404.
    String sha = Dsse.sha256Hex(model);
    Files.write(stateDir.resolve("artifacts/" + sha + ".onnx"), new byte[] {1, 2, 3});
    try (Agent damaged = new Agent(config(null, null))) {
      int port = damaged.startLocal();
      assertEquals(503, status(port, "/v2/health/ready"));
      assertEquals(200, status(port, "/v2/health/live"));
      assertEquals(503, post(port, "/v2/models/classifier/infer", INFER).statusCode());
      assertEquals(404, post(port, "/v2/models/other/infer", INFER).statusCode());
    }
  }

  @Test
  void aRefusedTokenAndAMissingRootKeySayWhatToDo() throws Exception {
    try (FakeControlPlane server = new FakeControlPlane(fleet);
        Agent agent = new Agent(config(server.address(), "bad-token"))) {
      agent.startLocal();
      ConfigException refused = assertThrows(ConfigException.class, agent::connect);
      assertTrue(
          refused.getMessage().contains("ask an operator for a new token"), refused.getMessage());
    }
    Map<String, String> flags =
        Map.of("server", "127.0.0.1:1", "token", "t", "state-dir", dir.resolve("other").toString());
    ConfigException missing =
        assertThrows(
            ConfigException.class,
            () -> new Agent(AgentConfig.load(null, flags)).checkConfigForSync());
    assertTrue(missing.getMessage().contains("GET /api/v1/trust/root.pem"), missing.getMessage());
  }

  @Test
  void anEnrollmentWhoseRepliesWereLostIsRetriedWithTheSameKeyAndItsProof() throws Exception {
    try (FakeControlPlane server = new FakeControlPlane(fleet)) {
      server.enrollFailures.add(Status.DEADLINE_EXCEEDED.withDescription("reply lost"));
      server.enrollFailures.add(Status.UNAVAILABLE.withDescription("reply lost"));
      try (Agent agent = new Agent(config(server.address(), "good-token"))) {
        agent.startLocal();
        agent.connect();
        assertNotNull(server.hellos.poll(20, TimeUnit.SECONDS), "enrolled on the third attempt");
      }
      assertEquals(3, server.enrollRequests.size());
      byte[] deviceKey = Files.readAllBytes(dir.resolve("state/device.pub.der"));
      for (EnrollRequest request : server.enrollRequests) {
        assertArrayEquals(deviceKey, request.getDevicePublicKey().toByteArray(), "the same key");
        assertTrue(
            Ed25519.verify(
                Ed25519.publicKey(deviceKey),
                EnrollmentProof.signedBytes(
                    "good-token", request.getCertificateRequest().toByteArray(), deviceKey),
                request.getDeviceKeyProof().toByteArray()),
            "device_key_proof verifies with the device key");
      }
    }
  }

  @Test
  void aKeyEnrolledAlreadyStopsEnrollmentWithTheServersReason() throws Exception {
    try (FakeControlPlane server = new FakeControlPlane(fleet);
        Agent agent = new Agent(config(server.address(), "good-token"))) {
      server.enrollFailures.add(
          Status.ALREADY_EXISTS.withDescription("it has connected since: decommission it"));
      agent.startLocal();
      ConfigException refused = assertThrows(ConfigException.class, agent::connect);
      assertTrue(refused.getMessage().contains("enrolled already"), refused.getMessage());
      assertTrue(refused.getMessage().contains("decommission it"), refused.getMessage());
      assertEquals(1, server.enrollRequests.size(), "not retried");
    }
  }

  @Test
  void enrollmentRefusesRootMetadataSignedByAnotherRoot() throws Exception {
    FleetFixture impostor = new FleetFixture();
    try (FakeControlPlane server = new FakeControlPlane(impostor);
        Agent agent = new Agent(config(server.address(), "good-token"))) {
      agent.startLocal();
      ConfigException refused = assertThrows(ConfigException.class, agent::connect);
      assertTrue(refused.getMessage().contains("pinned root key"), refused.getMessage());
      assertFalse(Files.exists(dir.resolve("state/identity.json")));
    }
  }
}
