package dev.modelfleet.server.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ApiException;
import dev.modelfleet.server.support.S3ProxyProcess;
import io.quarkus.runtime.configuration.MemorySize;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

/**
 * The S3 store against a real S3 server (S3Proxy, a separate process): content-addressed keys,
 * multipart uploads that are whole or invisible, presigned URLs that work and then expire, and a
 * clear refusal when the bucket cannot be reached.
 */
class S3ArtifactStoreTest {

  private static final String BUCKET = "artifacts";
  private static final long PART = 5L << 20;

  static S3ProxyProcess s3;
  static S3Client client;

  @TempDir Path staging;

  @BeforeAll
  static void startS3() throws IOException {
    s3 = S3ProxyProcess.start(BUCKET);
    client = s3.client();
  }

  @AfterAll
  static void stopS3() {
    if (client != null) {
      client.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void storesASmallUploadUnderItsContentAddressOnce() throws IOException {
    try (S3ArtifactStore store = store("fleet-a/", Duration.ofMinutes(5))) {
      byte[] bytes = randomBytes(1, 300_000);
      StagedArtifact staged = store.stage(new ByteArrayInputStream(bytes));
      assertTrue(store.commit(staged));
      store.discard(staged);

      String key = "fleet-a/sha256/" + staged.sha256().substring(0, 2) + "/" + staged.sha256();
      assertArrayEquals(
          bytes, client.getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray());
      assertTrue(store.contains(staged.sha256()));
      assertArrayEquals(bytes, store.readAll(staged.sha256()));

      StagedArtifact again = store.stage(new ByteArrayInputStream(bytes));
      assertFalse(store.commit(again), "the same bytes are stored once");
      store.discard(again);
      assertFalse(Files.exists(staged.file()), "the staged file is gone after commit");
    }
  }

  @Test
  void storesALargeUploadInPartsAndReadsItFromAnOffset() throws IOException {
    try (S3ArtifactStore store = store("", Duration.ofMinutes(5))) {
      byte[] bytes = randomBytes(2, (int) (2 * PART + 123_457));
      StagedArtifact staged = store.stage(new ByteArrayInputStream(bytes));
      assertTrue(store.commit(staged));

      int offset = (int) PART + 17;
      try (ArtifactStore.Stored stored = store.open(staged.sha256(), offset)) {
        assertEquals(bytes.length, stored.size());
        assertArrayEquals(
            Arrays.copyOfRange(bytes, offset, bytes.length), stored.body().readAllBytes());
      }
      try (ArtifactStore.Stored atEnd = store.open(staged.sha256(), bytes.length)) {
        assertEquals(bytes.length, atEnd.size());
        assertEquals(0, atEnd.body().readAllBytes().length);
      }
      assertThrows(NoSuchFileException.class, () -> store.open("ab".repeat(32), 0));
    }
  }

  @Test
  void aMultipartUploadThatFailsHalfwayLeavesNothingVisible() throws IOException {
    try (S3ArtifactStore store = store("", Duration.ofMinutes(5))) {
      byte[] bytes = randomBytes(3, (int) (PART + 1_000));
      StagedArtifact real = store.stage(new ByteArrayInputStream(bytes));
      // The staged file is shorter than its recorded size: the second part cannot be read, as
      // when the replica's disk fails or it dies mid-upload.
      StagedArtifact broken = new StagedArtifact(real.file(), real.sha256(), 3 * PART);
      RuntimeException failed = assertThrows(RuntimeException.class, () -> store.commit(broken));
      assertEquals(0, failed.getSuppressed().length, "the abort succeeded");

      String key = store.key(real.sha256());
      assertThrows(
          NoSuchKeyException.class, () -> client.headObject(b -> b.bucket(BUCKET).key(key)));
      assertFalse(store.contains(real.sha256()));
      assertTrue(
          client.listMultipartUploads(b -> b.bucket(BUCKET)).uploads().stream()
              .noneMatch(u -> u.key().equals(key)),
          "the failed multipart upload was aborted");
      store.discard(real);
    }
  }

  @Test
  void theGarbageCollectorSeesOnlyItsOwnPrefixesAddresses() throws IOException {
    try (S3ArtifactStore fleetB = store("fleet-b/", Duration.ofMinutes(5));
        S3ArtifactStore fleetC = store("fleet-c/", Duration.ofMinutes(5))) {
      byte[] bytes = randomBytes(6, 1_000);
      StagedArtifact staged = fleetB.stage(new ByteArrayInputStream(bytes));
      fleetB.commit(staged);
      client.putObject(
          b -> b.bucket(BUCKET).key("fleet-b/sha256/notes.txt"),
          software.amazon.awssdk.core.sync.RequestBody.fromString("not an artifact"));

      var listed = fleetB.list();
      assertEquals(1, listed.size(), listed.toString());
      assertEquals(staged.sha256(), listed.get(0).sha256());
      assertEquals(bytes.length, listed.get(0).size());
      assertTrue(fleetC.list().isEmpty(), "another fleet's objects in the same bucket are not its");
    }
  }

  @Test
  void aPresignedUrlServesTheBytesWithRangesWithoutCredentialsUntilItExpires() throws Exception {
    try (S3ArtifactStore store = store("", Duration.ofSeconds(2))) {
      byte[] bytes = randomBytes(4, 100_000);
      StagedArtifact staged = store.stage(new ByteArrayInputStream(bytes));
      store.commit(staged);
      ArtifactStore.DirectUrl url = store.directUrl(staged.sha256()).orElseThrow();

      HttpURLConnection whole = get(url.url(), null);
      assertEquals(200, whole.getResponseCode());
      assertArrayEquals(bytes, whole.getInputStream().readAllBytes());
      HttpURLConnection tail = get(url.url(), "bytes=40000-");
      assertEquals(206, tail.getResponseCode());
      assertArrayEquals(
          Arrays.copyOfRange(bytes, 40_000, bytes.length), tail.getInputStream().readAllBytes());

      // Wait out the URL's lifetime by the clock (S3 judges expiry in whole seconds).
      dev.modelfleet.server.support.Eventually.until(
          "the presigned URL's lifetime passed",
          Duration.ofSeconds(10),
          () -> System.currentTimeMillis() > url.expiresAtMs() + 1_500);
      HttpURLConnection expired = get(url.url(), null);
      assertEquals(403, expired.getResponseCode(), "an expired presigned URL is refused");
    }
  }

  @Test
  void anUnreachableBucketIsAClearRefusalAndStoresNothing() throws IOException {
    S3ProxyProcess down = S3ProxyProcess.start(BUCKET);
    Path data = down.data();
    down.stop();
    try (S3ArtifactStore store =
        S3ArtifactStore.create(config(down, BUCKET, "", Duration.ofMinutes(1)), staging)) {
      StagedArtifact staged = store.stage(new ByteArrayInputStream(randomBytes(5, 10_000)));
      ApiException refused = assertThrows(ApiException.class, () -> store.commit(staged));
      assertEquals(ApiError.STORAGE_UNAVAILABLE, refused.error());
      assertEquals(503, refused.error().httpStatus());
      store.discard(staged);
      try (var files = Files.walk(data)) {
        assertTrue(files.noneMatch(Files::isRegularFile), "nothing reached the bucket");
      }
    }
  }

  private static HttpURLConnection get(URI url, String range) throws IOException {
    HttpURLConnection connection = (HttpURLConnection) url.toURL().openConnection();
    if (range != null) {
      connection.setRequestProperty("Range", range);
    }
    return connection;
  }

  private S3ArtifactStore store(String prefix, Duration ttl) {
    return S3ArtifactStore.create(config(s3, BUCKET, prefix, ttl), staging);
  }

  static ArtifactStoreConfig config(
      S3ProxyProcess server, String bucket, String prefix, Duration ttl) {
    return new ArtifactStoreConfig() {
      @Override
      public Type type() {
        return Type.S3;
      }

      @Override
      public Optional<String> bucket() {
        return Optional.of(bucket);
      }

      @Override
      public Optional<String> prefix() {
        return Optional.of(prefix);
      }

      @Override
      public Optional<URI> endpoint() {
        return Optional.of(server.endpoint());
      }

      @Override
      public String region() {
        return "us-east-1";
      }

      @Override
      public boolean pathStyle() {
        return true;
      }

      @Override
      public Optional<String> accessKeyId() {
        return Optional.of(S3ProxyProcess.ACCESS_KEY);
      }

      @Override
      public Optional<String> secretAccessKey() {
        return Optional.of(S3ProxyProcess.SECRET_KEY);
      }

      @Override
      public MemorySize partSize() {
        return new MemorySize(java.math.BigInteger.valueOf(PART));
      }

      @Override
      public Duration presignedUrlTtl() {
        return ttl;
      }

      @Override
      public boolean directDownloads() {
        return true;
      }
    };
  }

  private static byte[] randomBytes(long seed, int size) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
