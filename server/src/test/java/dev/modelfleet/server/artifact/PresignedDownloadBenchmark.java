package dev.modelfleet.server.artifact;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.transport.http.DirectUrlArtifactSource;
import dev.modelfleet.protocol.agent.v1.ArtifactUrl;
import dev.modelfleet.protocol.agent.v1.ArtifactUrls;
import dev.modelfleet.server.support.S3ProxyProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's download of a 100 MB artifact straight from object storage (S3Proxy on loopback,
 * filesystem backend) over a presigned URL, with the agent's own downloader (hash and write to
 * disk): prints MB/s per run, to set against {@code loopback-baseline.sh 100 3} run beside it. Off
 * by default: {@code ./mvnw -pl server -am test -Dtest=PresignedDownloadBenchmark -Dbench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class PresignedDownloadBenchmark {

  private static final int MB = Integer.getInteger("bench.mb", 100);
  private static final int RUNS = Integer.getInteger("bench.runs", 3);

  @TempDir Path dir;

  @Test
  void downloadOverAPresignedUrl() throws Exception {
    try (S3ProxyProcess s3 = S3ProxyProcess.start("bench");
        S3ArtifactStore store =
            S3ArtifactStore.create(
                S3ArtifactStoreTest.config(s3, "bench", "", Duration.ofMinutes(15)),
                dir.resolve("staging"))) {
      StagedArtifact staged = store.stage(new RandomBytes(MB * 1048576L));
      store.commit(staged);
      store.discard(staged);
      List<Double> rates = new ArrayList<>();
      for (int run = 1; run <= RUNS; run++) {
        Path device = Files.createDirectories(dir.resolve("device-" + run));
        DirectUrlArtifactSource source =
            new DirectUrlArtifactSource(
                (sha, offset, consumer) -> {
                  throw new ArtifactFetchException(
                      ArtifactFetchException.Kind.FATAL, "not through the server", null);
                },
                shas -> {},
                System::currentTimeMillis);
        var url = store.directUrl(staged.sha256()).orElseThrow();
        source.accept(
            ArtifactUrls.newBuilder()
                .addUrls(
                    ArtifactUrl.newBuilder()
                        .setSha256(staged.sha256())
                        .setUrl(url.url().toString())
                        .setExpiresAtMs(url.expiresAtMs()))
                .build());
        ArtifactDownloader downloader =
            new ArtifactDownloader(
                source, sha -> device.resolve(sha), sha -> device.resolve(sha + ".part"), 1, 0);
        long start = System.nanoTime();
        downloader.download(staged.sha256(), staged.size(), (done, total) -> {});
        double seconds = (System.nanoTime() - start) / 1e9;
        rates.add(staged.size() / 1048576.0 / seconds);
        System.out.printf(
            Locale.ROOT, "presigned-download run %d: %.1f MB/s%n", run, rates.get(run - 1));
      }
      System.out.printf(
          Locale.ROOT,
          "presigned-download median: %.1f MB/s (runs %s)%n",
          rates.stream().sorted().toList().get(rates.size() / 2),
          rates);
    }
  }

  /** Incompressible bytes without holding them in memory. */
  private static final class RandomBytes extends InputStream {
    private final Random random = new Random(100);
    private long left;

    RandomBytes(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int off, int len) {
      if (left == 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      byte[] chunk = new byte[n];
      random.nextBytes(chunk);
      System.arraycopy(chunk, 0, buffer, off, n);
      left -= n;
      return n;
    }

    @Override
    public void close() throws IOException {}
  }
}
