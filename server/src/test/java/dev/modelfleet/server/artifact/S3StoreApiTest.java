package dev.modelfleet.server.artifact;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.ArtifactUrl;
import dev.modelfleet.protocol.agent.v1.ArtifactUrlRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.S3StoreResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The server with its artifacts in an S3 bucket (S3Proxy, a real S3 server in a process of its
 * own): uploads land in the bucket under their sha256, devices get presigned addresses with their
 * desired state and can still download through the server, and an unreachable bucket is a clear 503
 * that stores nothing.
 */
@QuarkusTest
@TestProfile(S3StoreApiTest.InS3.class)
class S3StoreApiTest {

  public static class InS3 implements QuarkusTestProfile {
    @Override
    public List<TestResourceEntry> testResources() {
      return List.of(new TestResourceEntry(S3StoreResource.class));
    }
  }

  @Test
  void anUploadIsStoredInTheBucketUnderItsSha256AndNotOnDisk() {
    byte[] model = SampleModels.classifier(801);
    String name = Fixtures.modelWithVersion("1.0.0");
    String sha256 = Fixtures.upload(name, "1.0.0", "fp32", "cpu", model).getString("sha256");

    try (var client = S3StoreResource.s3.client()) {
      byte[] stored =
          client
              .getObjectAsBytes(
                  b ->
                      b.bucket(S3StoreResource.BUCKET)
                          .key("sha256/" + sha256.substring(0, 2) + "/" + sha256))
              .asByteArray();
      assertArrayEquals(model, stored);
    }
    // the file, not its shard folder: filesystem-store tests in this JVM share the folder
    assertFalse(
        Files.exists(
            artifactDir().resolve("sha256").resolve(sha256.substring(0, 2)).resolve(sha256)));
  }

  @Test
  void aDeviceGetsAPresignedUrlBeforeItsDesiredStateAndOnRequest() throws Exception {
    try (AgentClient agent = new AgentClient()) {
      EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
      var published = Fixtures.publishedClassifier(802);
      AgentClient.SyncStream stream = agent.sync(device.getDeviceCredential());
      stream.hello();
      assertTrue(stream.next().hasConfig());
      Api.adminJson()
          .body(Map.of("deviceId", device.getDeviceId()))
          .post("/api/v1/models/" + published.model() + "/versions/1.0.0/assignments")
          .then()
          .statusCode(200);

      ServerMessage urls = stream.next();
      assertTrue(urls.hasArtifactUrls(), "addresses come first, got " + urls.getKindCase());
      ArtifactUrl url = urls.getArtifactUrls().getUrls(0);
      assertEquals(published.sha256(), url.getSha256());
      assertTrue(url.getExpiresAtMs() > System.currentTimeMillis());
      assertTrue(stream.next().hasDesiredState());
      assertArrayEquals(published.bytes(), get(url.getUrl()), "the URL serves the bytes");

      stream.send(
          AgentMessage.newBuilder()
              .setArtifactUrlRequest(
                  ArtifactUrlRequest.newBuilder()
                      .addSha256(published.sha256())
                      .addSha256(Fixtures.publishedClassifier(803).sha256()))
              .build());
      ServerMessage fresh = stream.next();
      assertEquals(
          List.of(published.sha256()),
          fresh.getArtifactUrls().getUrlsList().stream().map(ArtifactUrl::getSha256).toList(),
          "only what the device may fetch");

      // The server's own path still serves it (agents that predate presigned URLs).
      int offset = published.bytes().length / 2;
      byte[] tail =
          given()
              .header("Authorization", "Bearer " + device.getDeviceCredential())
              .header("Range", "bytes=" + offset + "-")
              .get("/agent/v1/artifacts/" + published.sha256())
              .then()
              .statusCode(206)
              .extract()
              .asByteArray();
      assertArrayEquals(
          Arrays.copyOfRange(published.bytes(), offset, published.bytes().length), tail);
      byte[] some =
          given()
              .header("Authorization", "Bearer " + device.getDeviceCredential())
              .header("Range", "bytes=" + offset + "-" + (offset + 99))
              .get("/agent/v1/artifacts/" + published.sha256())
              .then()
              .statusCode(206)
              .header("Content-Length", "100")
              .extract()
              .asByteArray();
      assertArrayEquals(Arrays.copyOfRange(published.bytes(), offset, offset + 100), some);
      stream.cancel();
    }
  }

  @Test
  void anUnreachableBucketRefusesUploadsWith503AndKeepsNothing() throws Exception {
    String name = Fixtures.modelWithVersion("1.0.0");
    S3StoreResource.s3.stop();
    try {
      Fixtures.uploadWith(
              name,
              "1.0.0",
              Map.of("precision", "fp32", "executionProvider", "cpu"),
              SampleModels.classifier(804))
          .then()
          .statusCode(503)
          .contentType("application/problem+json")
          .body("code", equalTo("storage-unavailable"));
    } finally {
      S3StoreResource.s3.restart();
    }
    Api.admin()
        .get("/api/v1/models/" + name + "/versions/1.0.0")
        .then()
        .statusCode(200)
        .body("variants.size()", equalTo(0));
    try (var staged = Files.list(Files.createDirectories(artifactDir().resolve("staging")))) {
      assertEquals(0, staged.count(), "no staged file left behind");
    }
  }

  private static byte[] get(String url) throws Exception {
    HttpURLConnection connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
    assertEquals(200, connection.getResponseCode());
    try (var in = connection.getInputStream()) {
      return in.readAllBytes();
    }
  }

  private static Path artifactDir() {
    return Path.of(ConfigProvider.getConfig().getValue("modelfleet.artifact-dir", String.class));
  }
}
