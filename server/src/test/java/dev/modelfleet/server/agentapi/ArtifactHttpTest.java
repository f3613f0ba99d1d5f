package dev.modelfleet.server.agentapi;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GET /agent/v1/artifacts/{sha256}: the HTTP twin of FetchArtifact, same access rule. */
@QuarkusTest
class ArtifactHttpTest {

  private static final byte[] MODEL = SampleModels.classifier(43, 256, 512, 3);

  AgentClient agent;
  EnrollResponse device;
  Fixtures.Published published;

  @BeforeEach
  void assignModel() throws Exception {
    agent = new AgentClient();
    device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    String model = Fixtures.modelWithVersion("1.0.0");
    var variant = Fixtures.upload(model, "1.0.0", "fp32", "cpu", MODEL);
    published =
        new Fixtures.Published(
            model, "1.0.0", variant.getString("id"), variant.getString("sha256"), MODEL);
    SyncTest.AssignmentTestSupport.assign(published, device.getDeviceId());
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void wholeArtifact() {
    byte[] body =
        asDevice()
            .get(path(published.sha256()))
            .then()
            .statusCode(200)
            .header("Accept-Ranges", "bytes")
            .extract()
            .asByteArray();
    assertArrayEquals(MODEL, body);
  }

  @Test
  void resumesFromAnOffsetWithARangeRequest() {
    int offset = MODEL.length / 3 + 5;
    byte[] body =
        asDevice()
            .header("Range", "bytes=" + offset + "-")
            .get(path(published.sha256()))
            .then()
            .statusCode(206)
            .header(
                "Content-Range", "bytes " + offset + "-" + (MODEL.length - 1) + "/" + MODEL.length)
            .extract()
            .asByteArray();
    assertArrayEquals(Arrays.copyOfRange(MODEL, offset, MODEL.length), body);
  }

  @Test
  void rangesOutsideTheArtifactOrOfAnotherFormAreRefused() {
    for (String range :
        new String[] {
          "bytes=" + MODEL.length + "-", "bytes=-5", "bytes=0-10", "bytes=x-", "items=0-"
        }) {
      asDevice()
          .header("Range", range)
          .get(path(published.sha256()))
          .then()
          .statusCode(416)
          .contentType("application/problem+json")
          .body("code", equalTo("offset-out-of-range"));
    }
  }

  @Test
  void artifactsNotAssignedToTheDeviceAreNotFound() {
    var other = Fixtures.publishedClassifier(System.nanoTime());
    asDevice().get(path(other.sha256())).then().statusCode(404).body("code", equalTo("not-found"));
    asDevice().get(path("0".repeat(64))).then().statusCode(404);
  }

  @Test
  void malformedShaIsABadRequest() {
    asDevice()
        .get(path(published.sha256().toUpperCase()))
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-sha256"));
    asDevice().get(path("..%2F..%2Fetc%2Fpasswd")).then().statusCode(400);
  }

  @Test
  void needsTheDeviceCredentialNotTheAdminToken() {
    given()
        .get(path(published.sha256()))
        .then()
        .statusCode(401)
        .contentType("application/problem+json")
        .body("code", equalTo("unauthenticated"));
    given()
        .header("Authorization", "Bearer " + device.getDeviceId() + ".wrong")
        .get(path(published.sha256()))
        .then()
        .statusCode(401);
    given()
        .header("Authorization", "Bearer " + dev.modelfleet.server.support.Api.ADMIN_TOKEN)
        .get(path(published.sha256()))
        .then()
        .statusCode(401);
  }

  private io.restassured.specification.RequestSpecification asDevice() {
    return given().header("Authorization", "Bearer " + device.getDeviceCredential());
  }

  private static String path(String sha256) {
    return "/agent/v1/artifacts/" + sha256;
  }
}
