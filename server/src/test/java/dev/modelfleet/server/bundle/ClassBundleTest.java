package dev.modelfleet.server.bundle;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static dev.modelfleet.server.support.Profiles.GIB;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.bundle.BundleReader;
import dev.modelfleet.agent.bundle.VerifiedBundle;
import dev.modelfleet.agent.state.AgentState;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.HardwareClassId;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Profiles;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bundle for a hardware class, made through the REST API and read by the agent's own bundle
 * reader and verifier: the class id the server shows is the one an agent computes from its profile,
 * any device of the class takes the state (one the bundle never names included), a device of
 * another class does not, and an old class state cannot be imported again.
 */
@QuarkusTest
class ClassBundleTest {

  @TempDir Path dir;
  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void anyDeviceOfTheClassTakesItsStateAndItsWholeArtifactVerifiedAsOnline() throws Exception {
    HardwareProfile profile =
        Profiles.profile(
                Api.unique("epyc"), "x86_64", List.of("avx2", "fma"), List.of("cpu"), 8 * GIB)
            .build();
    EnrollResponse enrolled =
        agent.enroll(
            Fixtures.enrollmentToken(Map.of(), 1), AgentClient.newDevicePublicKey(), profile);
    String classId =
        admin().get("/api/v1/devices/" + enrolled.getDeviceId()).path("hardwareClassId");
    assertEquals(
        HardwareClassId.of(profile), classId, "the agent computes the class id the server shows");
    Fixtures.Published published = Fixtures.publishedClassifier(4242);

    byte[] tar =
        create(
                Map.of(
                    "hardwareClasses",
                    List.of(classId),
                    "models",
                    List.of(published.model() + "=" + published.version()),
                    "expiresIn",
                    "2d"))
            .then()
            .statusCode(200)
            .extract()
            .asByteArray();
    Path file = dir.resolve("class.tar");
    Files.write(file, tar);

    // a device the server never named (another id, same class) takes the class's state
    String stranger = UUID.randomUUID().toString();
    TrustedRoot root = trustedRoot(enrolled);
    VerifiedBundle bundle = read(root, stranger, classId, file);
    assertTrue(bundle.forClass());
    assertArrayEquals(
        published.bytes(),
        Files.readAllBytes(bundle.artifacts().get(published.sha256())),
        "the class bundle carries the artifact whole");
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(() -> root, stranger, System::currentTimeMillis)
            .withHardwareClass(() -> classId);
    DesiredState state = verifier.verifyClass(bundle.desiredState(), AgentState.EMPTY);
    assertEquals(published.model(), state.getModels(0).getModel());
    assertEquals("", state.getDeviceId(), "a class state names no device");

    // imported once, the same class state is an old one: refused
    AgentState after = AgentState.EMPTY.withClassAccepted(state.getIssuedAtMs());
    VerificationException again =
        assertThrows(
            VerificationException.class, () -> verifier.verifyClass(bundle.desiredState(), after));
    assertEquals(DesiredStateVerifier.CLASS_ROLLBACK, again.reasonCode());

    // another class: the verifier refuses the state, and the reader finds none for it
    VerificationException wrong =
        assertThrows(
            VerificationException.class,
            () ->
                new DesiredStateVerifier(() -> root, stranger, System::currentTimeMillis)
                    .withHardwareClass(() -> "0000000000000000")
                    .verifyClass(bundle.desiredState(), AgentState.EMPTY));
    assertEquals(DesiredStateVerifier.WRONG_CLASS, wrong.reasonCode());
    VerificationException none =
        assertThrows(
            VerificationException.class, () -> read(root, stranger, "0000000000000000", file));
    assertEquals(BundleReader.NOT_FOR_DEVICE, none.reasonCode());
    // nor can the class state pass as a device's document on the Sync path
    SignedEnvelope classDocument = bundle.desiredState();
    assertThrows(
        VerificationException.class,
        () -> verifier.verify(classDocument, AgentState.EMPTY),
        "its own payload type");

    String bundleId = bundle.id();
    admin()
        .get("/api/v1/bundles/" + bundleId)
        .then()
        .statusCode(200)
        .body("hardwareClasses[0]", equalTo(classId))
        .body("deviceIds.size()", equalTo(0))
        .body("artifactCount", equalTo(1));
  }

  @Test
  void aClassBundleRequestThatCannotBeMetIsAClearError() throws Exception {
    HardwareProfile profile =
        Profiles.profile(Api.unique("arm"), "aarch64", List.of("asimd"), List.of("cpu"), 4 * GIB)
            .build();
    EnrollResponse enrolled =
        agent.enroll(
            Fixtures.enrollmentToken(Map.of(), 1), AgentClient.newDevicePublicKey(), profile);
    String classId =
        admin().get("/api/v1/devices/" + enrolled.getDeviceId()).path("hardwareClassId");
    Fixtures.Published published = Fixtures.publishedClassifier(4343);
    String model = published.model() + "=" + published.version();

    create(Map.of("hardwareClasses", List.of(classId)))
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("detail", containsString("'models'"));
    create(Map.of("hardwareClasses", List.of("ffffffffffffffff"), "models", List.of(model)))
        .then()
        .statusCode(404)
        .body("detail", containsString("ffffffffffffffff"));
    create(Map.of("hardwareClasses", List.of(classId), "models", List.of("no-equals-sign")))
        .then()
        .statusCode(400)
        .body("detail", containsString("name=version"));
    create(Map.of("selector", "a=b", "deviceIds", List.of(enrolled.getDeviceId())))
        .then()
        .statusCode(400);
    create(Map.of("selector", "a=b", "models", List.of(model))).then().statusCode(400);
  }

  private static Response create(Map<String, Object> body) {
    return adminJson()
        .accept("application/x-tar, application/problem+json")
        .body(body)
        .post("/api/v1/bundles");
  }

  private VerifiedBundle read(TrustedRoot root, String deviceId, String classId, Path file)
      throws Exception {
    Path staging = Files.createTempDirectory(dir, "staging");
    return new BundleReader(
            RootPin.of(pinnedRootKey()), root, deviceId, classId, System.currentTimeMillis())
        .read(file, staging);
  }

  private static TrustedRoot trustedRoot(EnrollResponse enrolled) throws Exception {
    List<SignedEnvelope> versions = new ArrayList<>(enrolled.getRootHistoryList());
    versions.add(enrolled.getRootMetadata());
    return RootChain.walk(versions, RootPin.of(pinnedRootKey()), System.currentTimeMillis(), null)
        .current();
  }

  private static byte[] pinnedRootKey() {
    String pem = admin().get("/api/v1/trust/root.pem").then().statusCode(200).extract().asString();
    return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").trim());
  }
}
