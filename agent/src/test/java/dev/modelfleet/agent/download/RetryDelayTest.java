package dev.modelfleet.agent.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.trust.VerificationException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader waits between attempts, not after the last one: the failure is reported. */
class RetryDelayTest {

  @TempDir Path dir;

  @Test
  void noWaitAfterTheLastFailedAttempt() {
    AtomicInteger calls = new AtomicInteger();
    ArtifactSource failing =
        (sha, offset, consumer) -> {
          calls.incrementAndGet();
          throw new ArtifactFetchException(ArtifactFetchException.Kind.RETRYABLE, "down", null);
        };
    ArtifactDownloader downloader =
        new ArtifactDownloader(
            failing, sha -> dir.resolve(sha + ".onnx"), sha -> dir.resolve(sha + ".part"), 2, 1500);
    long start = System.nanoTime();
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () -> downloader.download("a".repeat(64), 10, (d, t) -> {}));
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertEquals("download-failed", e.reasonCode());
    assertEquals(2, calls.get());
    // One wait of 1.5 s between the two attempts; the old code waited another 3 s after.
    assertTrue(ms < 4000, "took " + ms + " ms");
  }
}
