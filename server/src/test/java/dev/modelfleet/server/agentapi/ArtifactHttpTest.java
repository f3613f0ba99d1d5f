package dev.modelfleet.server.agentapi;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.DownloadGate;
import dev.modelfleet.agent.transport.http.HttpArtifactSource;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.agent.v1.DownloadPolicy;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /agent/v1/artifacts/{sha256}: the HTTP twin of FetchArtifact, same access rule. */
@QuarkusTest
class ArtifactHttpTest {

  private static final byte[] MODEL = SampleModels.classifier(43, 256, 512, 3);

  @Inject MeterRegistry registry;

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
  void aClosedRangeEndsAtItsLastByteAndOnePastTheFileIsCutToIt() {
    byte[] body =
        asDevice()
            .header("Range", "bytes=10-19")
            .get(path(published.sha256()))
            .then()
            .statusCode(206)
            .header("Content-Range", "bytes 10-19/" + MODEL.length)
            .extract()
            .asByteArray();
    assertArrayEquals(Arrays.copyOfRange(MODEL, 10, 20), body);
    byte[] tail =
        asDevice()
            .header("Range", "bytes=" + (MODEL.length - 4) + "-" + (MODEL.length + 100))
            .get(path(published.sha256()))
            .then()
            .statusCode(206)
            .header(
                "Content-Range",
                "bytes " + (MODEL.length - 4) + "-" + (MODEL.length - 1) + "/" + MODEL.length)
            .extract()
            .asByteArray();
    assertArrayEquals(Arrays.copyOfRange(MODEL, MODEL.length - 4, MODEL.length), tail);
  }

  /**
   * The agent's own downloader under a daily byte budget: it asks for a closed range ending at the
   * budget, so the server sends each day's budget and not a byte more, until the file is whole.
   */
  @Test
  void aDeviceUnderADailyBudgetIsSentTheBudgetAndNotAByteMore(@TempDir Path dir) throws Exception {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-07T12:00:00Z"));
    Clock clock =
        new Clock() {
          @Override
          public ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now.get();
          }
        };
    DownloadGate gate = new DownloadGate(clock, true, ZoneOffset.UTC, dir.resolve("budget"));
    long budget = (MODEL.length + 2) / 3; // three days' budgets hold the file
    gate.apply(
        DownloadPolicy.newBuilder()
            .setId("budget")
            .setTimeZone("UTC")
            .setDailyBudgetBytes(budget)
            .build());
    HttpArtifactSource source =
        new HttpArtifactSource(
            URI.create(RestAssured.baseURI + ":" + RestAssured.port + "/agent/v1/artifacts"),
            device.getDeviceCredential(),
            URI.create(RestAssured.baseURI).getHost(),
            null,
            true);
    ArtifactDownloader downloader =
        new ArtifactDownloader(
                source, s -> dir.resolve(s + ".onnx"), s -> dir.resolve(s + ".part"), 3, 10)
            .governedBy(gate);
    List<Long> waitedAt = new CopyOnWriteArrayList<>();
    double servedBefore = served();

    CompletableFuture<Path> done =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return downloader.download(
                    published.sha256(),
                    MODEL.length,
                    new ArtifactDownloader.Progress() {
                      @Override
                      public void update(long bytes, long total) {}

                      @Override
                      public void waiting(DownloadGate.Wait wait, long bytes, long total) {
                        waitedAt.add(bytes);
                      }
                    });
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    Eventually.until("the download waits for the next day", () -> !waitedAt.isEmpty());
    assertEquals(budget, waitedAt.get(0));
    Eventually.within(
        Eventually.LIMIT, () -> assertEquals(budget, served() - servedBefore, 0.5, "bytes sent"));

    // a third of the file a day: the next day another budget's worth, the day after the rest
    now.set(Instant.parse("2026-12-08T00:00:01Z"));
    Eventually.until("the download waits for the third day", () -> waitedAt.size() == 2);
    assertEquals(2 * budget, waitedAt.get(1));
    Eventually.within(
        Eventually.LIMIT,
        () -> assertEquals(2 * budget, served() - servedBefore, 0.5, "bytes sent by day two"));
    now.set(Instant.parse("2026-12-09T00:00:01Z"));
    assertArrayEquals(MODEL, Files.readAllBytes(done.get(30, TimeUnit.SECONDS)));
    Eventually.within(
        Eventually.LIMIT,
        () -> assertEquals(MODEL.length, served() - servedBefore, 0.5, "bytes sent in all"));
  }

  private double served() {
    return registry.find("modelfleet.artifact.served").counters().stream()
        .mapToDouble(Counter::count)
        .sum();
  }

  @Test
  void rangesOutsideTheArtifactOrOfAnotherFormAreRefused() {
    for (String range :
        new String[] {
          "bytes=" + MODEL.length + "-",
          "bytes=-5",
          "bytes=10-5",
          "bytes=0-10,20-30",
          "bytes=x-",
          "items=0-"
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
