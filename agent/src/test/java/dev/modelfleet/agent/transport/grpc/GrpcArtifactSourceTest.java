package dev.modelfleet.agent.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.DownloadGate;
import dev.modelfleet.agent.testing.BackgroundDownload;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.MovableClock;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.DownloadPolicy;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FetchArtifact through grpc-java (in process): bearer credential, resume from offset. */
class GrpcArtifactSourceTest {

  @TempDir Path dir;

  ArtifactDownloader downloader(ManagedChannel channel, String credential) {
    return new ArtifactDownloader(
        new GrpcArtifactSource(
            AgentServiceGrpc.newBlockingStub(channel)
                .withInterceptors(new BearerCredentialInterceptor(credential))),
        sha -> dir.resolve(sha + ".onnx"),
        sha -> dir.resolve(sha + ".part"),
        2,
        1);
  }

  @Test
  void resumesFromThePartialFileAndSendsTheCredential() throws Exception {
    byte[] artifact = new byte[3_000_000];
    new Random(1).nextBytes(artifact);
    String sha = Dsse.sha256Hex(artifact);
    Files.write(dir.resolve(sha + ".part"), Arrays.copyOf(artifact, 1_234_567));
    try (FakeControlPlane server = FakeControlPlane.inProcess(new FleetFixture())) {
      server.artifacts.put(sha, artifact);
      ManagedChannel channel = server.channel();
      try {
        Path file =
            downloader(channel, FakeControlPlane.CREDENTIAL)
                .download(sha, artifact.length, (done, total) -> {});
        assertArrayEquals(artifact, Files.readAllBytes(file));
        assertEquals(List.of(1_234_567L), server.fetchOffsets);
        assertEquals(List.of("Bearer " + FakeControlPlane.CREDENTIAL), server.authorizations);
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void aDailyBudgetAsksTheServerForNoMoreThanTheDayAllows() throws Exception {
    byte[] artifact = new byte[2_500_000];
    new Random(2).nextBytes(artifact);
    String sha = Dsse.sha256Hex(artifact);
    MovableClock clock = new MovableClock(Instant.parse("2026-12-07T10:00:00Z"));
    DownloadGate gate = new DownloadGate(clock, false, ZoneOffset.UTC, dir.resolve("budget"));
    gate.apply(
        DownloadPolicy.newBuilder()
            .setId("metered")
            .setTimeZone("UTC")
            .setDailyBudgetBytes(1_000_000)
            .build());
    try (FakeControlPlane server = FakeControlPlane.inProcess(new FleetFixture())) {
      server.artifacts.put(sha, artifact);
      ManagedChannel channel = server.channel();
      try {
        ArtifactDownloader downloader = downloader(channel, FakeControlPlane.CREDENTIAL);
        downloader.governedBy(gate);
        BackgroundDownload download = BackgroundDownload.start(downloader, sha, artifact.length);
        download.awaitWaits(1, Duration.ofSeconds(30));
        assertEquals(1_000_000L, server.bytesSent.get(), "the server sent only today's budget");
        clock.set(Instant.parse("2026-12-08T00:00:01Z"));
        download.awaitWaits(2, Duration.ofSeconds(30));
        clock.set(Instant.parse("2026-12-09T00:00:01Z"));
        assertArrayEquals(artifact, Files.readAllBytes(download.file(Duration.ofSeconds(30))));
        assertEquals(List.of(0L, 1_000_000L, 2_000_000L), server.fetchOffsets);
        assertEquals(List.of(1_000_000L, 2_000_000L, 0L), server.fetchEnds, "the last day: all");
        assertEquals(artifact.length, server.bytesSent.get(), "not a byte sent twice");
      } finally {
        channel.shutdownNow();
      }
    }
  }

  @Test
  void unknownArtifactAndRefusedCredentialAreNotRetried() throws Exception {
    try (FakeControlPlane server = FakeControlPlane.inProcess(new FleetFixture())) {
      ManagedChannel channel = server.channel();
      try {
        String sha = "a".repeat(64);
        VerificationException missing =
            assertThrows(
                VerificationException.class,
                () ->
                    downloader(channel, FakeControlPlane.CREDENTIAL)
                        .download(sha, 10, (d, t) -> {}));
        assertEquals("artifact-not-found", missing.reasonCode());
        VerificationException refused =
            assertThrows(
                VerificationException.class,
                () -> downloader(channel, "wrong").download(sha, 10, (d, t) -> {}));
        assertEquals("download-failed", refused.reasonCode());
        assertEquals(1, server.fetchOffsets.size(), "no retry after NOT_FOUND or UNAUTHENTICATED");
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
