package dev.modelfleet.server.signing;

import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.access.ApiClients;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.quarkus.arc.Arc;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root rotation through the admin API, seen by a device on a real Sync stream that checks
 * everything with the agent's own verifier (RootChain, DesiredStateVerifier): online rotation of
 * the director key, and the offline-root procedure with the real SignRoot tool. The key directory
 * is this class's own, so the rotations do not touch other tests.
 *
 * <p>Every test starts where a fresh server is, whatever ran before it: one root key, held by the
 * server. A test that takes root keys offline keeps them on its own offline machine (its own
 * temporary folder) and, once done, hands them back ({@link #rootKeyBackOnline}).
 */
@QuarkusTest
@TestProfile(RootRotationTest.OwnKeyDirectory.class)
class RootRotationTest {

  public static class OwnKeyDirectory implements QuarkusTestProfile {
    static final Path DIR = tempDir();

    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("modelfleet.key-dir", DIR.toString());
    }

    private static Path tempDir() {
      try {
        return Files.createTempDirectory("modelfleet-rotation-keys").resolve("keys");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** This test's offline machine: the root keys it takes out of the server or makes. */
  @TempDir Path offline;

  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
    JsonPath root = admin().get("/api/v1/trust/root").then().statusCode(200).extract().jsonPath();
    assertTrue(
        root.getBoolean("rootKeyOnline"), "the server holds its root key: " + root.prettify());
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  /**
   * Leaves the trust as a fresh server has it, if this test took root keys offline or made new
   * ones: they go back into the key directory (keys the root no longer lists are retired keys
   * there, which the server ignores), and the root is rotated to one new key the server holds, with
   * a full lifetime (a test's short-lived root would otherwise be renewed under the next test's
   * feet).
   */
  @AfterEach
  void rootKeyBackOnline() throws IOException {
    List<Path> offlineKeys;
    try (var files = Files.list(offline)) {
      offlineKeys = files.filter(f -> f.toString().endsWith(".key")).toList();
    }
    if (offlineKeys.isEmpty()) {
      return;
    }
    admin().delete("/api/v1/trust/root/draft"); // a draft a failed test left, if any
    for (Path key : offlineKeys) {
      Files.copy(key, keyDir().resolve("root-offline-" + key.getFileName()));
    }
    adminJson()
        .body(Map.of("rotate", List.of("root")))
        .post("/api/v1/trust/root/rotate")
        .then()
        .statusCode(200)
        .body("published", equalTo(true));
  }

  /** Moves the current root key out of the key directory, as an operator would; its new path. */
  Path takeRootKeyOffline(String fileName) throws Exception {
    String rootKeyId =
        admin()
            .get("/api/v1/trust/root")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getString("roles.find { it.role == 'root' }.keyIds[0]");
    try (var files = Files.list(keyDir())) {
      for (Path file : files.filter(f -> f.getFileName().toString().startsWith("root")).toList()) {
        if (file.toString().endsWith(".key") && keyIdOfKeyFile(file).equals(rootKeyId)) {
          return Files.move(file, offline.resolve(fileName));
        }
      }
    }
    throw new AssertionError("no file in " + keyDir() + " holds root key " + rootKeyId);
  }

  private static String keyIdOfKeyFile(Path file) throws IOException {
    return Dsse.keyId(
        Ed25519Keys.spki(
            Ed25519Keys.parsePrivateKeyPem(Files.readString(file, StandardCharsets.US_ASCII))
                .generatePublicKey()));
  }

  /** An enrolled device that trusts what the agent would, on an open Sync stream. */
  final class Device {
    final EnrollResponse enrolled;
    final RootChain roots;
    final AgentClient.SyncStream stream;
    final DesiredStateVerifier verifier;

    Device(byte[] pinnedRootKey) throws Exception {
      this(RootPin.of(pinnedRootKey));
    }

    Device(RootPin pin) throws Exception {
      enrolled = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
      List<SignedEnvelope> versions = new ArrayList<>(enrolled.getRootHistoryList());
      versions.add(enrolled.getRootMetadata());
      roots = RootChain.walk(versions, pin, System.currentTimeMillis(), null);
      verifier =
          new DesiredStateVerifier(
              roots::current, enrolled.getDeviceId(), System::currentTimeMillis);
      stream = agent.sync(enrolled.getDeviceCredential());
      stream.send(
          AgentMessage.newBuilder()
              .setHello(
                  Hello.newBuilder()
                      .setHardware(AgentClient.cpuHardware())
                      .setRootVersion(roots.current().version()))
              .build());
      assertTrue(stream.next().hasConfig());
    }

    ServerMessage next(ServerMessage.KindCase kind) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (System.nanoTime() < deadline) {
        ServerMessage message = stream.received.poll(100, TimeUnit.MILLISECONDS);
        if (message != null && message.getKindCase() == kind) {
          return message;
        }
        if (message != null && message.getKindCase() != ServerMessage.KindCase.CONFIG) {
          throw new AssertionError("expected " + kind + ", got " + message.getKindCase());
        }
      }
      throw new AssertionError("no " + kind + " within 10 s");
    }
  }

  static byte[] pinnedRootKey() {
    String pem = admin().get("/api/v1/trust/root.pem").then().statusCode(200).extract().asString();
    return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").trim());
  }

  static Path keyDir() {
    return Path.of(ConfigProvider.getConfig().getValue("modelfleet.key-dir", String.class));
  }

  /**
   * Another replica (a second RootMetadataChain on the shared key directory, as another process
   * would hold) publishes a root version and NOTIFYs: this replica's connected device gets it
   * although nothing happened here.
   */
  @Test
  void aVersionPublishedByAnotherReplicaReachesDevicesConnectedHere() throws Exception {
    Device device = new Device(pinnedRootKey());
    long version = device.roots.current().version();
    RootMetadataChain otherReplica =
        new RootMetadataChain(
            sharedConfig(), java.time.Clock.systemUTC(), new SigningKeys(sharedConfig()));
    otherReplica.load();
    dev.modelfleet.protocol.agent.v1.RootMetadata current = otherReplica.currentMetadata();
    SignedEnvelope next =
        otherReplica.signNextRoot(
            current.toBuilder()
                .setExpiresAtMs(System.currentTimeMillis() + 86_400_000L * 300)
                .build(),
            RootRoles.rootKeyIds(current));
    assertTrue(otherReplica.publish(next));
    AgroalDataSource dataSource = Arc.container().instance(AgroalDataSource.class).get();
    try (var connection = dataSource.getConnection();
        var notify = connection.prepareStatement("select pg_notify(?, ?)")) {
      notify.setString(1, dev.modelfleet.server.cluster.ClusterChannels.ROOT_METADATA);
      notify.setString(2, Long.toString(version + 1));
      notify.executeQuery().close();
    }

    ServerMessage update = device.next(ServerMessage.KindCase.ROOT_UPDATE);
    device.roots.update(update.getRootUpdate().getRootMetadataList(), System.currentTimeMillis());
    assertEquals(version + 1, device.roots.current().version());
    admin().get("/api/v1/trust/root").then().body("version", equalTo((int) version + 1));
  }

  static dev.modelfleet.server.common.ModelFleetConfig sharedConfig() {
    return new dev.modelfleet.server.common.ModelFleetConfig() {
      public Path keyDir() {
        return RootRotationTest.keyDir();
      }

      public Path artifactDir() {
        return RootRotationTest.keyDir().resolveSibling("artifacts");
      }

      public java.time.Duration heartbeatInterval() {
        return java.time.Duration.ofSeconds(15);
      }

      public java.time.Duration desiredStateTtl() {
        return java.time.Duration.ofDays(7);
      }

      public java.time.Duration rootMetadataTtl() {
        return java.time.Duration.ofDays(365);
      }

      public java.time.Duration manifestTtl() {
        return java.time.Duration.ofDays(365);
      }

      public java.util.Optional<String> artifactBaseUrl() {
        return java.util.Optional.empty();
      }
    };
  }

  @Test
  void onlineDirectorRotationReachesAConnectedDeviceBeforeTheDocumentsItSigns() throws Exception {
    Device device = new Device(pinnedRootKey());
    long version = device.roots.current().version();
    Fixtures.Published model = Fixtures.publishedClassifier(71);
    assign(model, device.enrolled.getDeviceId());
    SignedEnvelope first = device.next(ServerMessage.KindCase.DESIRED_STATE).getDesiredState();
    DesiredState accepted = device.verifier.verify(first, 0, "");

    JsonPath rotated =
        adminJson()
            .body(Map.of("rotate", List.of("director")))
            .post("/api/v1/trust/root/rotate")
            .then()
            .statusCode(200)
            .body("published", equalTo(true))
            .body("version", equalTo((int) version + 1))
            .extract()
            .jsonPath();
    String newDirector = rotated.getString("roles.find { it.role == 'director' }.keyIds[0]");

    ServerMessage update = device.next(ServerMessage.KindCase.ROOT_UPDATE);
    assertEquals(1, update.getRootUpdate().getRootMetadataCount());
    device.roots.update(update.getRootUpdate().getRootMetadataList(), System.currentTimeMillis());
    assertEquals(version + 1, device.roots.current().version());

    SignedEnvelope reissued = device.next(ServerMessage.KindCase.DESIRED_STATE).getDesiredState();
    assertEquals(newDirector, reissued.getSignatures(0).getKeyId());
    DesiredState next = device.verifier.verify(reissued, accepted.getGeneration(), "");
    assertTrue(next.getGeneration() > accepted.getGeneration());
    assertEquals(model.model(), next.getModels(0).getModel());
    device.verifier.verifyManifest(next.getModels(0));
    // the document the old director key signed no longer verifies
    VerificationException old =
        assertThrows(VerificationException.class, () -> device.verifier.verify(first, 0, ""));
    assertEquals("unknown-key", old.reasonCode());

    // a device that reconnects reporting the old version gets the versions after it again
    AgentClient.SyncStream again = agent.sync(device.enrolled.getDeviceCredential());
    again.send(
        AgentMessage.newBuilder()
            .setHello(
                Hello.newBuilder().setHardware(AgentClient.cpuHardware()).setRootVersion(version))
            .build());
    assertTrue(again.next().hasConfig());
    assertEquals(
        version + 1, RootChainFiles.version(again.next().getRootUpdate().getRootMetadata(0)));
  }

  @Test
  void offlineRootProcedureEndToEnd() throws Exception {
    byte[] firstPinned = pinnedRootKey();
    Device device = new Device(firstPinned);
    long version = device.roots.current().version();
    Fixtures.Published model = Fixtures.publishedClassifier(72);
    assign(model, device.enrolled.getDeviceId());
    DesiredState firstState =
        device.verifier.verify(
            device.next(ServerMessage.KindCase.DESIRED_STATE).getDesiredState(), 0, "");
    long generation = firstState.getGeneration();
    long targetsVersion =
        device.verifier.verifyManifest(firstState.getModels(0)).getTargetsVersion();

    // 1. the root key leaves the server
    Path oldRootKey = takeRootKeyOffline("old-root.key");
    admin().get("/api/v1/trust/root").then().statusCode(200).body("rootKeyOnline", equalTo(false));
    adminJson()
        .body(Map.of("rotate", List.of("director")))
        .post("/api/v1/trust/root/rotate")
        .then()
        .statusCode(409)
        .contentType(Api.PROBLEM_JSON)
        .body("code", equalTo("root-key-offline"));

    // 2. a new offline root key, made by the tool
    Path newRootKey = offline.resolve("new-root.key");
    String newRootPem = SignRootTool.ok("keygen", newRootKey.toString());

    // 3. the draft: new root key, targets rotated, a short lifetime; the operator keeps the
    // current root (as the server shows it) to compare the draft with
    Path previousRoot = offline.resolve("root-previous.json");
    Files.writeString(
        previousRoot,
        admin().get("/api/v1/trust/root").then().statusCode(200).extract().asString());
    JsonPath draft =
        adminJson()
            .body(
                Map.of(
                    "rootKeys",
                    List.of(newRootPem),
                    "rotate",
                    List.of("targets"),
                    "expiresInDays",
                    30))
            .post("/api/v1/trust/root/drafts")
            .then()
            .statusCode(200)
            .body("version", equalTo((int) version + 1))
            .body("published", equalTo(false))
            .body("previousRoot.signedBy", hasSize(0))
            .body("newRoot.signedBy", hasSize(0))
            .extract()
            .jsonPath();
    String newRootId = draft.getString("newRoot.keyIds[0]");
    Path draftFile = offline.resolve("draft.json");
    Files.writeString(
        draftFile,
        admin().get("/api/v1/trust/root/draft").then().statusCode(200).extract().asString());

    // bad uploads are refused and change nothing
    ApiClients.Client operator = ApiClients.create("operator");
    String expected = Long.toString(version + 1);
    SignRootTool.Run signedByOld =
        SignRootTool.run(
            "",
            "sign",
            oldRootKey.toString(),
            draftFile.toString(),
            "--expect-version",
            expected,
            "--previous",
            previousRoot.toString());
    assertEquals(0, signedByOld.exitCode(), signedByOld.err());
    String oldSignature = signedByOld.out().trim();
    // what the operator reads before the signature is made: the payload decoded, not the JSON
    String shown = signedByOld.err();
    assertTrue(shown.contains("Root metadata version " + expected), shown);
    assertTrue(shown.contains("role root      threshold 1 of 1 key(s)"), shown);
    assertTrue(shown.contains("    " + newRootId + "  ed25519  NEW\n"), shown);
    assertTrue(shown.contains("root: key ADDED    " + newRootId), shown);
    assertTrue(shown.contains("root: key REMOVED  " + keyIdOf(oldRootKey)), shown);
    assertTrue(shown.contains(draft.getString("payloadSha256")), shown);
    assertTrue(shown.contains("expires   " + draft.getString("expiresAt").substring(0, 16)), shown);
    for (String role : List.of("targets", "director")) {
      assertTrue(
          shown.contains(draft.getString("roles.find { it.role == '" + role + "' }.keyIds[0]")),
          role + " key shown: " + shown);
    }
    operator
        .json()
        .body(oldSignature)
        .post("/api/v1/trust/root/draft/signatures")
        .then()
        .statusCode(403)
        .body("code", equalTo("forbidden"));
    ApiClients.create("viewer").call().get("/api/v1/trust/root/draft").then().statusCode(200);
    Path strangerKey = offline.resolve("stranger.key");
    SignRootTool.ok("keygen", strangerKey.toString());
    adminJson()
        .body(
            SignRootTool.ok(
                "sign", strangerKey.toString(), draftFile.toString(), "--expect-version", expected))
        .post("/api/v1/trust/root/draft/signatures")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-signature"));
    JsonPath good = JsonPath.from(oldSignature);
    byte[] forged = Base64.getDecoder().decode(good.getString("signature"));
    forged[5] ^= 1;
    adminJson()
        .body(
            Map.of(
                "keyId",
                good.getString("keyId"),
                "signature",
                Base64.getEncoder().encodeToString(forged)))
        .post("/api/v1/trust/root/draft/signatures")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-signature"));
    adminJson()
        .body(
            Map.of(
                "version",
                version + 7,
                "keyId",
                good.getString("keyId"),
                "signature",
                good.getString("signature")))
        .post("/api/v1/trust/root/draft/signatures")
        .then()
        .statusCode(409)
        .body("code", equalTo("conflict"));
    adminJson()
        .body(Map.of("keyId", good.getString("keyId"), "signature", "***"))
        .post("/api/v1/trust/root/draft/signatures")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    admin()
        .get("/api/v1/trust/root/draft")
        .then()
        .statusCode(200)
        .body("previousRoot.signedBy", hasSize(0))
        .body("newRoot.signedBy", hasSize(0))
        .body("payloadSha256", equalTo(draft.getString("payloadSha256")));
    admin().get("/api/v1/trust/root").then().body("version", equalTo((int) version));

    // 4. signatures: the old root key, then the new one; the second publishes
    adminJson()
        .body(oldSignature)
        .post("/api/v1/trust/root/draft/signatures")
        .then()
        .statusCode(200)
        .body("published", equalTo(false))
        .body("previousRoot.signedBy", hasSize(1))
        .body("newRoot.signedBy", hasSize(0));
    adminJson()
        .body(
            SignRootTool.ok(
                "sign", newRootKey.toString(), draftFile.toString(), "--expect-version", expected))
        .post("/api/v1/trust/root/draft/signatures")
        .then()
        .statusCode(200)
        .body("published", equalTo(true))
        .body("version", equalTo((int) version + 1));
    admin().get("/api/v1/trust/root/draft").then().statusCode(404);

    JsonPath root =
        admin()
            .get("/api/v1/trust/root")
            .then()
            .statusCode(200)
            .body("version", equalTo((int) version + 1))
            .body("rootKeyOnline", equalTo(false))
            .body("history", hasSize((int) version + 1))
            .extract()
            .jsonPath();
    assertEquals(newRootId, root.getString("roles.find { it.role == 'root' }.keyIds[0]"));
    assertFalse(
        root.getList("warnings", String.class).isEmpty(),
        "a 30-day root is within its renewal window and the root key is offline");

    // 5. the connected device follows: root update, then its document re-issued with the
    // manifest re-signed by the new targets key
    ServerMessage update = device.next(ServerMessage.KindCase.ROOT_UPDATE);
    device.roots.update(update.getRootUpdate().getRootMetadataList(), System.currentTimeMillis());
    assertEquals(version + 1, device.roots.current().version());
    SignedEnvelope reissued = device.next(ServerMessage.KindCase.DESIRED_STATE).getDesiredState();
    DesiredState state = device.verifier.verify(reissued, generation, "");
    String newTargets = root.getString("roles.find { it.role == 'targets' }.keyIds[0]");
    assertEquals(newTargets, state.getModels(0).getManifest().getSignatures(0).getKeyId());
    assertEquals(
        targetsVersion + 1,
        device.verifier.verifyManifest(state.getModels(0)).getTargetsVersion(),
        "re-signing by the new targets key counts the manifest's version up");

    // 6. a device configured with the first root key still enrolls: it walks the history
    assertNotEquals(Ed25519.toPem(firstPinned), Ed25519.toPem(pinnedRootKey()));
    Device late = new Device(firstPinned);
    assertEquals(version + 1, late.roots.current().version());
  }

  /** The key id of a key file, as the tool prints it. */
  static String keyIdOf(Path keyFile) throws Exception {
    SignRootTool.Run run = SignRootTool.run("", "pubkey", keyFile.toString());
    assertEquals(0, run.exitCode(), run.err());
    return run.err().replace("key id", "").trim();
  }

  /**
   * Several offline root keys with a threshold: the server hands out all of them and the threshold
   * wherever it hands out the root key, and an agent pinning that file enrolls.
   */
  @Test
  void severalOfflineRootKeysAreHandedOutTogetherWithTheirThreshold() throws Exception {
    Path currentRoot = takeRootKeyOffline("current-root.key");
    long version = admin().get("/api/v1/trust/root").then().extract().jsonPath().getLong("version");
    Path first = offline.resolve("root-a.key");
    Path second = offline.resolve("root-b.key");
    List<String> pems =
        List.of(
            SignRootTool.ok("keygen", first.toString()),
            SignRootTool.ok("keygen", second.toString()));
    adminJson()
        .body(Map.of("rootKeys", pems, "thresholds", Map.of("root", 2)))
        .post("/api/v1/trust/root/drafts")
        .then()
        .statusCode(200);
    Path draftFile = offline.resolve("draft-two-keys.json");
    Files.writeString(
        draftFile,
        admin().get("/api/v1/trust/root/draft").then().statusCode(200).extract().asString());
    String expected = Long.toString(version + 1);
    for (Path key : List.of(currentRoot, first, second)) {
      adminJson()
          .body(
              SignRootTool.ok(
                  "sign", key.toString(), draftFile.toString(), "--expect-version", expected))
          .post("/api/v1/trust/root/draft/signatures")
          .then()
          .statusCode(200);
    }
    JsonPath root =
        admin()
            .get("/api/v1/trust/root")
            .then()
            .statusCode(200)
            .body("version", equalTo((int) version + 1))
            .extract()
            .jsonPath();

    String pem = admin().get("/api/v1/trust/root.pem").then().statusCode(200).extract().asString();
    Path pinFile = offline.resolve("root-pin.pem");
    Files.writeString(pinFile, pem);
    RootPin pin = RootPin.read(pinFile);
    assertEquals(
        java.util.Set.copyOf(root.getList("roles.find { it.role == 'root' }.keyIds", String.class)),
        pin.keyIds());
    assertEquals(2, pin.threshold());
    assertEquals(pem, root.getString("rootKeysPem"));
    assertEquals(pem, Files.readString(keyDir().resolve("root.pub.pem")));

    Device device = new Device(pin);
    assertEquals(version + 1, device.roots.current().version());
  }

  @Test
  void trustIsReadableByViewersAndChangeableOnlyByAdmins() {
    ApiClients.Client viewer = ApiClients.create("viewer");
    ApiClients.Client operator = ApiClients.create("operator");
    viewer.call().get("/api/v1/trust/root").then().statusCode(200);
    long before = admin().get("/api/v1/trust/root").then().extract().jsonPath().getLong("version");
    for (ApiClients.Client caller : List.of(viewer, operator)) {
      for (String path :
          List.of(
              "/api/v1/trust/root/rotate",
              "/api/v1/trust/root/drafts",
              "/api/v1/trust/root/draft/signatures",
              "/api/v1/trust/./root/rotate")) {
        caller
            .json()
            .body(Map.of("rotate", List.of("director")))
            .post(path)
            .then()
            .statusCode(403)
            .body("code", equalTo("forbidden"));
      }
      caller.call().delete("/api/v1/trust/root/draft").then().statusCode(403);
    }
    admin().get("/api/v1/trust/root").then().body("version", equalTo((int) before));
    adminJson()
        .body(Map.of("rotate", List.of("snapshot")))
        .post("/api/v1/trust/root/drafts")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    adminJson()
        .body(Map.of("thresholds", Map.of("targets", 2)))
        .post("/api/v1/trust/root/drafts")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"));
    adminJson()
        .body(Map.of("rootKeys", List.of("not a key")))
        .post("/api/v1/trust/root/drafts")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-public-key"));
    admin().get("/api/v1/trust/root").then().body("version", equalTo((int) before));
  }

  static void assign(Fixtures.Published p, String deviceId) {
    adminJson()
        .body(Map.of("deviceId", deviceId))
        .post("/api/v1/models/" + p.model() + "/versions/" + p.version() + "/assignments")
        .then()
        .statusCode(200);
  }
}
