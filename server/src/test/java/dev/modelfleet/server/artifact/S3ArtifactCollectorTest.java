package dev.modelfleet.server.artifact;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.S3StoreResource;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
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
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * Garbage collection with artifacts in an S3 bucket (S3Proxy, a real S3 server in a process of its
 * own). The bucket's clock cannot be turned back, so the collector is asked to collect as it would
 * once the grace period had passed for everything stored so far: what a variant names stays, the
 * rest goes, and so do multipart uploads a killed replica left unfinished.
 */
@QuarkusTest
@TestProfile(S3StoreApiTest.InS3.class)
class S3ArtifactCollectorTest {

  @Inject ArtifactCollector collector;
  @Inject ArtifactStore store;
  @Inject AgroalDataSource dataSource;

  @Test
  void onceTheGraceHasPassedTheUnreferencedGoAndTheReferencedStay() throws IOException {
    String model = Fixtures.modelWithVersion("1.0.0");
    String referenced =
        Fixtures.upload(model, "1.0.0", "fp32", "cpu", SampleModels.classifier(1602))
            .getString("sha256");
    String unreferenced = storeUnreferenced();

    ArtifactCollector.Run run = collector.collect(afterTheGraceForAllSoFar(), false);

    assertTrue(run.ran());
    assertTrue(run.collected().contains(unreferenced));
    assertFalse(inBucket(unreferenced), "the unreferenced object is deleted from the bucket");
    assertTrue(inBucket(referenced), "a variant's artifact stays");
    assertFalse(run.collected().contains(referenced));
  }

  @Test
  void anUnreferencedObjectYoungerThanTheGraceStays() throws IOException {
    String young = storeUnreferenced();

    ArtifactCollector.Run run = collector.collect(false);

    assertTrue(run.ran());
    assertFalse(run.collected().contains(young));
    assertTrue(inBucket(young));
  }

  @Test
  void anUnfinishedMultipartUploadAndAStagedFileAreRemovedAfterTheGrace() throws IOException {
    String sha256 = "c0".repeat(32);
    String key = "sha256/c0/" + sha256;
    String uploadId;
    try (S3Client client = S3StoreResource.s3.client()) {
      // what a replica killed between two parts leaves: started, never completed nor aborted
      uploadId =
          client.createMultipartUpload(b -> b.bucket(S3StoreResource.BUCKET).key(key)).uploadId();
      client.uploadPart(
          b ->
              b.bucket(S3StoreResource.BUCKET)
                  .key(key)
                  .uploadId(uploadId)
                  .partNumber(1)
                  .contentLength(5_000L),
          RequestBody.fromBytes(new byte[5_000]));
    }
    Path staging = Files.createDirectories(artifactDir().resolve("staging"));
    Path abandoned = Files.write(staging.resolve("upload-abandoned-1602.part"), new byte[1024]);
    Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(Duration.ofDays(3))));

    ArtifactCollector.Run run = collector.collect(afterTheGraceForAllSoFar(), false);

    assertTrue(run.unfinishedUploads() >= 2);
    assertFalse(Files.exists(abandoned));
    try (S3Client client = S3StoreResource.s3.client()) {
      assertTrue(
          client.listMultipartUploads(b -> b.bucket(S3StoreResource.BUCKET)).uploads().stream()
              .noneMatch(u -> u.uploadId().equals(uploadId)),
          "the unfinished multipart upload was aborted");
    }
  }

  @Test
  void whileAnotherReplicaCollectsThisOneSkipsItsTurn() throws Exception {
    String unreferenced = storeUnreferenced();
    try (Connection otherReplica = dataSource.getConnection()) {
      assertTrue(advisory(otherReplica, "pg_try_advisory_lock"));

      assertFalse(collector.collect(afterTheGraceForAllSoFar(), false).ran());
      assertTrue(inBucket(unreferenced));

      assertTrue(advisory(otherReplica, "pg_advisory_unlock"));
    }
    assertTrue(collector.collect(afterTheGraceForAllSoFar(), false).ran());
    assertFalse(inBucket(unreferenced));
  }

  /** The clock moved past the grace period of every object stored until now. */
  private static Instant afterTheGraceForAllSoFar() {
    return Instant.now().plusSeconds(60);
  }

  private String storeUnreferenced() throws IOException {
    byte[] bytes = new byte[20_000];
    new SecureRandom().nextBytes(bytes);
    StagedArtifact staged = store.stage(new ByteArrayInputStream(bytes));
    assertTrue(store.commit(staged));
    store.discard(staged);
    assertTrue(inBucket(staged.sha256()));
    return staged.sha256();
  }

  private static boolean inBucket(String sha256) {
    try (S3Client client = S3StoreResource.s3.client()) {
      client.headObject(
          b ->
              b.bucket(S3StoreResource.BUCKET)
                  .key("sha256/" + sha256.substring(0, 2) + "/" + sha256));
      return true;
    } catch (NoSuchKeyException e) {
      return false;
    }
  }

  private static boolean advisory(Connection connection, String function) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement("select " + function + "(?)")) {
      statement.setLong(1, ArtifactCollector.LOCK);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() && row.getBoolean(1);
      }
    }
  }

  private static Path artifactDir() {
    return Path.of(ConfigProvider.getConfig().getValue("modelfleet.artifact-dir", String.class));
  }
}
