package dev.modelfleet.server.artifact;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.server.access.ApiClients;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Scrape;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Garbage collection with the filesystem store (the default): artifacts no variant names go once
 * older than the grace period (24 h), and so do abandoned staged uploads; what a variant names, and
 * what is younger, stays; one replica collects at a time. Ages are set on the files, as a day's
 * wait would leave them.
 */
@QuarkusTest
class ArtifactCollectorTest {

  private static final Duration OLDER_THAN_GRACE = Duration.ofHours(49);

  @Inject ArtifactCollector collector;
  @Inject ArtifactStore store;
  @Inject AgroalDataSource dataSource;

  @Test
  void anArtifactAVariantNamesStaysHoweverOld() throws IOException {
    String model = Fixtures.modelWithVersion("1.0.0");
    String sha256 =
        Fixtures.upload(model, "1.0.0", "fp32", "cpu", SampleModels.classifier(1601))
            .getString("sha256");
    age(file(sha256), OLDER_THAN_GRACE);

    ArtifactCollector.Run run = collector.collect(false);

    assertTrue(run.ran());
    assertFalse(run.collected().contains(sha256));
    assertTrue(Files.exists(file(sha256)), "a variant's artifact is never collected");
  }

  @Test
  void anUnreferencedArtifactYoungerThanTheGraceStays() throws IOException {
    // an upload in flight: its bytes are stored, its row is not written yet
    String sha256 = storeUnreferenced();
    age(file(sha256), Duration.ofHours(23));

    ArtifactCollector.Run run = collector.collect(false);

    assertFalse(run.collected().contains(sha256));
    assertTrue(Files.exists(file(sha256)));
  }

  @Test
  void anUnreferencedArtifactOlderThanTheGraceGoesAndIsCounted() throws IOException {
    String sha256 = storeUnreferenced();
    long size = Files.size(file(sha256));
    age(file(sha256), OLDER_THAN_GRACE);
    Scrape before = Scrape.server();

    ArtifactCollector.Run run = collector.collect(false);

    assertTrue(run.collected().contains(sha256));
    assertFalse(Files.exists(file(sha256)), "collected");
    assertFalse(store.contains(sha256));
    Scrape after = Scrape.server();
    assertTrue(
        after.sum("modelfleet_artifact_gc_collected_total")
            >= before.sum("modelfleet_artifact_gc_collected_total") + 1);
    assertTrue(
        after.sum("modelfleet_artifact_gc_freed_bytes_total")
            >= before.sum("modelfleet_artifact_gc_freed_bytes_total") + size);
  }

  @Test
  void aStagedUploadOlderThanTheGraceGoesAndALiveOneStays() throws IOException {
    Path staging = Files.createDirectories(artifactDir().resolve("staging"));
    Path abandoned = Files.write(staging.resolve("upload-abandoned-1601.part"), new byte[4096]);
    age(abandoned, OLDER_THAN_GRACE);
    Path live = Files.write(staging.resolve("upload-live-1601.part"), new byte[4096]);

    ArtifactCollector.Run run = collector.collect(false);

    assertFalse(Files.exists(abandoned), "an upload a crash left behind is removed");
    assertTrue(Files.exists(live), "an upload being written is left alone");
    assertTrue(run.unfinishedUploads() >= 1);
    Files.delete(live);
  }

  @Test
  void whileAnotherReplicaCollectsThisOneSkipsItsTurn() throws Exception {
    String sha256 = storeUnreferenced();
    age(file(sha256), OLDER_THAN_GRACE);

    try (Connection otherReplica = dataSource.getConnection()) {
      assertTrue(advisory(otherReplica, "pg_try_advisory_lock"), "the other replica collects");

      ArtifactCollector.Run skipped = collector.collect(false);

      assertFalse(skipped.ran());
      assertTrue(Files.exists(file(sha256)), "nothing removed by the replica that skipped");
      assertTrue(advisory(otherReplica, "pg_advisory_unlock"));
    }
    assertTrue(collector.collect(false).ran(), "once the other run ended, this one collects");
    assertFalse(Files.exists(file(sha256)));
  }

  @Test
  void anAdminSeesWhatWouldGoInADryRunAndNothingGoes() throws IOException {
    String sha256 = storeUnreferenced();
    age(file(sha256), OLDER_THAN_GRACE);

    Api.admin()
        .queryParam("dryRun", true)
        .post("/api/v1/system/artifacts/gc")
        .then()
        .statusCode(200)
        .body("ran", equalTo(true))
        .body("dryRun", equalTo(true))
        .body("collected", hasItem(sha256));
    assertTrue(Files.exists(file(sha256)), "a dry run removes nothing");

    Api.admin()
        .post("/api/v1/system/artifacts/gc")
        .then()
        .statusCode(200)
        .body("collected", hasItem(sha256));
    assertFalse(Files.exists(file(sha256)));
  }

  @Test
  void onlyAdminsMayCollect() {
    ApiClients.create("operator")
        .call()
        .post("/api/v1/system/artifacts/gc")
        .then()
        .statusCode(403)
        .contentType(Api.PROBLEM_JSON);
  }

  /** Bytes stored as an upload stores them, with no variant naming them. */
  private String storeUnreferenced() throws IOException {
    byte[] bytes = new byte[10_000];
    new SecureRandom().nextBytes(bytes);
    StagedArtifact staged = store.stage(new ByteArrayInputStream(bytes));
    assertTrue(store.commit(staged));
    store.discard(staged);
    assertEquals(bytes.length, Files.size(file(staged.sha256())));
    return staged.sha256();
  }

  private static boolean advisory(Connection connection, String function) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("select " + function + "(?)")) {
      statement.setLong(1, ArtifactCollector.LOCK);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() && row.getBoolean(1);
      }
    }
  }

  private static void age(Path file, Duration age) throws IOException {
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(age)));
  }

  private static Path file(String sha256) {
    return artifactDir().resolve("sha256").resolve(sha256.substring(0, 2)).resolve(sha256);
  }

  private static Path artifactDir() {
    return Path.of(ConfigProvider.getConfig().getValue("modelfleet.artifact-dir", String.class));
  }
}
