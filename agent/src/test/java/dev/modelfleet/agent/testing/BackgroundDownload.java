package dev.modelfleet.agent.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.DownloadGate;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A download on another thread, as the agent runs one, so that a test can move the clock while the
 * download policy holds it; it records each wait and how many bytes were in when it began.
 */
public final class BackgroundDownload {

  public final List<DownloadGate.Wait> waits = new CopyOnWriteArrayList<>();
  public final List<Long> waitedWithBytes = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Path> done;

  private BackgroundDownload(ArtifactDownloader downloader, String sha256, long size) {
    ArtifactDownloader.Progress progress =
        new ArtifactDownloader.Progress() {
          @Override
          public void update(long bytes, long total) {}

          @Override
          public void waiting(DownloadGate.Wait wait, long bytes, long total) {
            waitedWithBytes.add(bytes);
            waits.add(wait);
          }
        };
    this.done =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return downloader.download(sha256, size, progress);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
  }

  public static BackgroundDownload start(ArtifactDownloader downloader, String sha256, long size) {
    return new BackgroundDownload(downloader, sha256, size);
  }

  /** Waits until the policy has held the download {@code count} times. */
  public void awaitWaits(int count, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (waits.size() < count) {
      assertTrue(System.nanoTime() < deadline, "no wait #" + count + " reported; got " + waits);
      Thread.sleep(10);
    }
  }

  /** The finished file. */
  public Path file(Duration limit) throws Exception {
    return done.get(limit.toMillis(), TimeUnit.MILLISECONDS);
  }
}
