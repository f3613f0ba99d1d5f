package dev.modelfleet.agent.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.testing.BackgroundDownload;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.agent.testing.MovableClock;
import dev.modelfleet.protocol.agent.v1.DownloadPolicy;
import dev.modelfleet.protocol.agent.v1.DownloadWindow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The signed download policy holds real downloads (in-memory source, real files, real hashing) to
 * its windows, its daily byte budget and its rate cap; a policy for metered links leaves others be.
 */
class DownloadPolicyEnforcementTest {

  private static final Instant HALF_PAST_MIDNIGHT = Instant.parse("2026-12-07T00:30:00Z");
  private static final DownloadWindow ONE_TO_FIVE =
      DownloadWindow.newBuilder().setStartMinute(60).setEndMinute(300).build();
  private static final Duration AWAIT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private final InMemoryArtifactSource source = new InMemoryArtifactSource();
  private final MovableClock clock = new MovableClock(HALF_PAST_MIDNIGHT);

  @Test
  void aClosedWindowFetchesNothingUntilItOpens() throws Exception {
    byte[] artifact = bytes(10_000);
    String sha = source.put(artifact);
    ArtifactDownloader downloader = downloader(gate(false, policy().addWindows(ONE_TO_FIVE)));

    BackgroundDownload download = BackgroundDownload.start(downloader, sha, artifact.length);
    download.awaitWaits(1, AWAIT);

    assertEquals(DownloadGate.WAITING_WINDOW, download.waits.get(0).reasonCode());
    assertEquals(Instant.parse("2026-12-07T01:00:00Z"), download.waits.get(0).until());
    assertTrue(source.requestedOffsets.isEmpty(), "fetched while the window was closed");
    clock.set(Instant.parse("2026-12-07T01:00:00Z"));
    assertArrayEquals(artifact, Files.readAllBytes(download.file(AWAIT)));
    assertEquals(List.of(0L), source.requestedOffsets);
  }

  @Test
  void aWindowClosingMidDownloadPausesItAndItResumesFromWhereItStopped() throws Exception {
    byte[] artifact = bytes(6_400);
    String sha = source.put(artifact);
    clock.set(Instant.parse("2026-12-07T04:59:00Z"));
    // The window closes as the chunk at 3,200 first arrives.
    java.util.concurrent.atomic.AtomicBoolean closed =
        new java.util.concurrent.atomic.AtomicBoolean();
    ArtifactSource closing =
        (s, offset, consumer) ->
            source.fetch(
                s,
                offset,
                (at, data, total) -> {
                  if (at >= 3_200 && closed.compareAndSet(false, true)) {
                    clock.set(Instant.parse("2026-12-07T05:00:00Z"));
                  }
                  consumer.accept(at, data, total);
                });
    DownloadGate gate = gate(false, policy().addWindows(ONE_TO_FIVE));
    ArtifactDownloader downloader =
        new ArtifactDownloader(
                closing, s -> dir.resolve(s + ".onnx"), s -> dir.resolve(s + ".part"), 3, 10)
            .governedBy(gate);

    BackgroundDownload download = BackgroundDownload.start(downloader, sha, artifact.length);
    download.awaitWaits(1, AWAIT);

    assertEquals(DownloadGate.WAITING_WINDOW, download.waits.get(0).reasonCode());
    assertEquals(
        3_200L, download.waitedWithBytes.get(0), "kept what came before the window closed");
    clock.set(Instant.parse("2026-12-08T01:00:00Z"));
    assertArrayEquals(artifact, Files.readAllBytes(download.file(AWAIT)));
    assertEquals(List.of(0L, 3_200L), source.requestedOffsets);
  }

  @Test
  void aSpentDailyBudgetStopsTheDownloadUntilTheNextDayAndSurvivesARestart() throws Exception {
    byte[] artifact = bytes(2_500);
    String sha = source.put(artifact);
    DownloadPolicy.Builder policy = policy().setDailyBudgetBytes(1_000);
    ArtifactDownloader downloader = downloader(gate(false, policy));

    BackgroundDownload download = BackgroundDownload.start(downloader, sha, artifact.length);
    download.awaitWaits(1, AWAIT);

    assertEquals(DownloadGate.WAITING_BUDGET, download.waits.get(0).reasonCode());
    assertEquals(Instant.parse("2026-12-08T00:00:00Z"), download.waits.get(0).until());
    assertEquals(1_000L, download.waitedWithBytes.get(0));
    // A restarted agent (a new gate on the same state directory) has no fresh budget today.
    assertEquals(
        DownloadGate.WAITING_BUDGET,
        gate(false, policy).waitNow().orElseThrow().reasonCode(),
        "the day's bytes must survive a restart");

    clock.set(Instant.parse("2026-12-08T00:00:01Z"));
    download.awaitWaits(2, AWAIT);
    assertEquals(2_000L, download.waitedWithBytes.get(1));
    clock.set(Instant.parse("2026-12-09T00:00:01Z"));
    assertArrayEquals(artifact, Files.readAllBytes(download.file(AWAIT)));
    assertEquals(List.of(0L, 1_000L, 2_000L), source.requestedOffsets);
  }

  @Test
  void theRateCapHoldsTheStreamDown() throws Exception {
    byte[] artifact = bytes(300_000);
    String sha = source.put(artifact);
    source.chunkSize = 16_384;
    ArtifactDownloader downloader =
        downloader(gate(false, policy().setRateBytesPerSecond(100_000)));

    long started = System.nanoTime();
    downloader.download(sha, artifact.length, (d, t) -> {});
    double seconds = (System.nanoTime() - started) / 1e9;

    // The bucket starts empty and holds one second at most: 300 kB at 100 kB/s needs 3 s, and a
    // loaded machine only makes it slower, so the lower bound is the robust one.
    assertTrue(seconds >= 2.7, "300 kB at a 100 kB/s cap took only " + seconds + " s");
  }

  @Test
  void aPolicyForMeteredLinksLeavesAnUnmeteredDeviceBe() throws Exception {
    byte[] artifact = bytes(1_000);
    String sha = source.put(artifact);
    DownloadPolicy.Builder policy = policy().addWindows(ONE_TO_FIVE).setMeteredOnly(true);

    Path file = downloader(gate(false, policy)).download(sha, artifact.length, (d, t) -> {});

    assertArrayEquals(artifact, Files.readAllBytes(file));
    assertTrue(gate(true, policy).waitNow().isPresent(), "a metered device must wait");
  }

  @Test
  void aWindowAcrossMidnightIsOpenOnBothSidesOfIt() {
    DownloadWindows windows =
        new DownloadWindows(
            List.of(DownloadWindow.newBuilder().setStartMinute(22 * 60).setEndMinute(240).build()),
            ZoneId.of("Europe/Berlin"));
    // 00:30 UTC is 01:30 in Berlin in December: open.
    assertTrue(windows.open(HALF_PAST_MIDNIGHT));
    Instant noon = Instant.parse("2026-12-07T12:00:00Z");
    assertTrue(!windows.open(noon));
    assertEquals(Instant.parse("2026-12-07T21:00:00Z"), windows.nextOpening(noon).orElseThrow());
  }

  private DownloadPolicy.Builder policy() {
    return DownloadPolicy.newBuilder().setId("test-policy").setTimeZone("UTC");
  }

  private DownloadGate gate(boolean metered, DownloadPolicy.Builder policy) {
    DownloadGate gate = new DownloadGate(clock, metered, ZoneOffset.UTC, dir.resolve("budget"));
    gate.apply(policy.build());
    return gate;
  }

  private ArtifactDownloader downloader(DownloadGate gate) {
    return new ArtifactDownloader(
            source, s -> dir.resolve(s + ".onnx"), s -> dir.resolve(s + ".part"), 3, 10)
        .governedBy(gate);
  }

  private static byte[] bytes(int size) {
    byte[] b = new byte[size];
    new Random(size).nextBytes(b);
    return b;
  }
}
