package dev.modelfleet.agent.transport.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.testing.FakeControlPlane;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
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
