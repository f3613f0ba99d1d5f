package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.sync.AgentChannels;
import dev.modelfleet.agent.sync.BearerCredentialInterceptor;
import dev.modelfleet.agent.sync.GrpcArtifactSource;
import dev.modelfleet.agent.v1.AgentServiceGrpc;
import dev.modelfleet.e2e.AgentProcess;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Downloads one artifact the way the agent does (its own ArtifactDownloader over its own
 * gRPC channel, with the credential of an enrolled agent), verifying size and sha256, from
 * the real server process. Each run starts from an empty directory.
 */
final class DownloadBench {

  private DownloadBench() {}

  /** MB/s (2^20 bytes) of each run. */
  static List<Double> run(AgentProcess enrolledAgent, String grpcTarget, JsonNode variant,
      Path scratch, int runs) throws Exception {
    JsonNode identity = new ObjectMapper()
        .readTree(enrolledAgent.stateDir().resolve("identity.json").toFile());
    String sha256 = variant.path("sha256").asText();
    long size = variant.path("size").asLong();
    ManagedChannel channel = AgentChannels.plaintext(grpcTarget);
    List<Double> rates = new ArrayList<>();
    try {
      var stub = AgentServiceGrpc.newBlockingStub(channel)
          .withInterceptors(new BearerCredentialInterceptor(identity.path("credential").asText()));
      for (int i = 0; i < runs; i++) {
        Path dir = Files.createDirectories(scratch.resolve("download-" + i));
        ArtifactDownloader downloader = new ArtifactDownloader(new GrpcArtifactSource(stub),
            sha -> dir.resolve(sha + ".onnx"), sha -> dir.resolve(sha + ".part"), 1, 0);
        long start = System.nanoTime();
        Path file = downloader.download(sha256, size, (done, total) -> { });
        double seconds = (System.nanoTime() - start) / 1e9;
        if (Files.size(file) != size) {
          throw new IllegalStateException("downloaded " + Files.size(file) + " of " + size);
        }
        rates.add(size / 1048576.0 / seconds);
        deleteRecursively(dir);
      }
    } finally {
      channel.shutdownNow();
    }
    return rates;
  }

  static void deleteRecursively(Path dir) throws java.io.IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
