package dev.modelfleet.server.artifact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.agent.transport.http.DirectUrlArtifactSource;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.ArtifactUrl;
import dev.modelfleet.protocol.agent.v1.ArtifactUrls;
import dev.modelfleet.server.support.S3ProxyProcess;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The agent's download straight from object storage, against a real S3 server (S3Proxy): the
 * agent's own downloader and source, the server's own store and presigner. The server's download
 * path is stood in for by a source that counts its calls, since these downloads must not use it.
 */
class DirectDownloadTest {

  private static final String BUCKET = "direct";

  static S3ProxyProcess s3;
  static S3Client client;

  @TempDir Path staging;
  @TempDir Path device;

  final AtomicInteger throughServer = new AtomicInteger();
  final List<List<String>> freshRequests = new CopyOnWriteArrayList<>();

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
  void downloadsFromThePresignedUrlWithoutTheServer() throws Exception {
    try (S3ArtifactStore store = store(Duration.ofMinutes(5))) {
      byte[] bytes = randomBytes(11, 3_000_000);
      String sha256 = put(store, bytes);
      DirectUrlArtifactSource source = source(store, sha256);

      Path file = downloader(source).download(sha256, bytes.length, (done, total) -> {});

      assertArrayEquals(bytes, Files.readAllBytes(file));
      assertEquals(0, throughServer.get(), "no byte came through the server");
      assertTrue(freshRequests.isEmpty());
    }
  }

  @Test
  void aTamperedObjectIsRefusedBySha256() throws Exception {
    try (S3ArtifactStore store = store(Duration.ofMinutes(5))) {
      byte[] bytes = randomBytes(12, 500_000);
      String sha256 = put(store, bytes);
      byte[] tampered = bytes.clone();
      tampered[1234] ^= 0x5a;
      // someone with write access to the bucket swaps the bytes under the same key
      client.putObject(
          b -> b.bucket(BUCKET).key(store.key(sha256)), RequestBody.fromBytes(tampered));

      VerificationException refused =
          assertThrows(
              VerificationException.class,
              () ->
                  downloader(source(store, sha256))
                      .download(sha256, bytes.length, (done, total) -> {}));
      assertEquals("sha256-mismatch", refused.reasonCode());
      assertEquals(0, throughServer.get());
    }
  }

  @Test
  void anExpiredUrlIsRefusedByTheStorageAndAFreshOneResumesTheDownload() throws Exception {
    try (S3ArtifactStore shortLived = store(Duration.ofSeconds(1));
        S3ArtifactStore store = store(Duration.ofMinutes(5))) {
      byte[] bytes = randomBytes(13, 800_000);
      String sha256 = put(store, bytes);
      ArtifactStore.DirectUrl expiring = shortLived.directUrl(sha256).orElseThrow();
      dev.modelfleet.server.support.Eventually.until(
          "the presigned URL's lifetime passed",
          Duration.ofSeconds(10),
          () -> System.currentTimeMillis() > expiring.expiresAtMs() + 1_500);
      // The device's clock is behind: it believes the URL still good, the storage refuses it.
      DirectUrlArtifactSource source =
          new DirectUrlArtifactSource(
              countingServerPath(),
              shas -> {
                freshRequests.add(shas);
                // the server answers on the Sync stream with a fresh address
                acceptFresh(store, shas);
              },
              () -> expiring.expiresAtMs() - 60_000);
      source.accept(urls(sha256, expiring));
      fresh = source;

      Path file = downloader(source).download(sha256, bytes.length, (done, total) -> {});

      assertArrayEquals(bytes, Files.readAllBytes(file));
      assertEquals(List.of(List.of(sha256)), freshRequests);
      assertEquals(0, throughServer.get());
    }
  }

  private DirectUrlArtifactSource fresh;

  private void acceptFresh(S3ArtifactStore store, List<String> shas) {
    for (String sha : shas) {
      fresh.accept(urls(sha, store.directUrl(sha).orElseThrow()));
    }
  }

  private DirectUrlArtifactSource source(S3ArtifactStore store, String sha256) {
    DirectUrlArtifactSource source =
        new DirectUrlArtifactSource(
            countingServerPath(), freshRequests::add, System::currentTimeMillis);
    source.accept(urls(sha256, store.directUrl(sha256).orElseThrow()));
    return source;
  }

  private ArtifactSource countingServerPath() {
    return (sha256, offset, consumer) -> {
      throughServer.incrementAndGet();
      throw new ArtifactFetchException(
          ArtifactFetchException.Kind.RETRYABLE, "the server's path is not under test", null);
    };
  }

  private static ArtifactUrls urls(String sha256, ArtifactStore.DirectUrl url) {
    return ArtifactUrls.newBuilder()
        .addUrls(
            ArtifactUrl.newBuilder()
                .setSha256(sha256)
                .setUrl(url.url().toString())
                .setExpiresAtMs(url.expiresAtMs()))
        .build();
  }

  private ArtifactDownloader downloader(ArtifactSource source) {
    return new ArtifactDownloader(
        source, sha -> device.resolve(sha), sha -> device.resolve(sha + ".part"), 3, 10);
  }

  private String put(S3ArtifactStore store, byte[] bytes) throws IOException {
    StagedArtifact staged = store.stage(new ByteArrayInputStream(bytes));
    store.commit(staged);
    store.discard(staged);
    return staged.sha256();
  }

  private S3ArtifactStore store(Duration ttl) {
    return S3ArtifactStore.create(
        S3ArtifactStoreTest.config(s3, BUCKET, "", ttl),
        staging.resolve(String.valueOf(ttl.toMillis())));
  }

  private static byte[] randomBytes(long seed, int size) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}
