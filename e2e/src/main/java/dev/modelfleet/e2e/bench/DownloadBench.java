package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.agent.transport.grpc.AgentChannels;
import dev.modelfleet.agent.transport.grpc.BearerCredentialInterceptor;
import dev.modelfleet.agent.transport.grpc.GrpcArtifactSource;
import dev.modelfleet.agent.transport.http.HttpArtifactSource;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Downloads one artifact the way the agent does (its own ArtifactDownloader and sources, with the
 * credential of an enrolled agent), verifying size and sha256, from the real server process, over
 * either of the agent's two paths. Each run starts from an empty directory.
 */
final class DownloadBench {

  private DownloadBench() {}

  /** The two paths the agent has: FetchArtifact over gRPC, and GET over HTTP. */
  enum Transport {
    GRPC,
    HTTP
  }

  /** MB/s (2^20 bytes) of each run. */
  static List<Double> run(
      AgentProcess enrolledAgent,
      ServerProcess server,
      JsonNode variant,
      Path scratch,
      int runs,
      Transport transport)
      throws Exception {
    JsonNode identity =
        new ObjectMapper().readTree(enrolledAgent.stateDir().resolve("identity.json").toFile());
    String credential = identity.path("credential").asText();
    String sha256 = variant.path("sha256").asText();
    long size = variant.path("size").asLong();
    ManagedChannel channel = AgentChannels.plaintext(server.grpcTarget());
    List<Double> rates = new ArrayList<>();
    try {
      var stub =
          AgentServiceGrpc.newBlockingStub(channel)
              .withInterceptors(new BearerCredentialInterceptor(credential));
      ArtifactSource source =
          transport == Transport.GRPC
              ? new GrpcArtifactSource(stub)
              : new HttpArtifactSource(
                  server.baseUri().resolve("/agent/v1/artifacts/"),
                  credential,
                  server.baseUri().getHost());
      for (int i = 0; i < runs; i++) {
        Path dir = Files.createDirectories(scratch.resolve("download-" + i));
        ArtifactDownloader downloader =
            new ArtifactDownloader(
                source, sha -> dir.resolve(sha + ".onnx"), sha -> dir.resolve(sha + ".part"), 1, 0);
        long start = System.nanoTime();
        Path file = downloader.download(sha256, size, (done, total) -> {});
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

  /**
   * curl fetching the same artifact from the server's HTTP endpoint, {@code runs} times: the
   * server's cost alone, apart from the agent's client. Empty where curl is not installed.
   */
  static List<Double> curlFromServer(
      AgentProcess enrolledAgent, ServerProcess server, JsonNode variant, Path scratch, int runs)
      throws Exception {
    JsonNode identity =
        new ObjectMapper().readTree(enrolledAgent.stateDir().resolve("identity.json").toFile());
    List<Double> rates = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      var rate =
          CurlDownload.mbPerSecond(
              "download: from the server's HTTP endpoint",
              scratch.resolve("curl-download"),
              server
                  .baseUri()
                  .resolve("/agent/v1/artifacts/" + variant.path("sha256").asText())
                  .toString(),
              "-H",
              "Authorization: Bearer " + identity.path("credential").asText());
      if (rate.isEmpty()) {
        return List.of();
      }
      rates.add(rate.getAsDouble());
    }
    return rates;
  }

  static void deleteRecursively(Path dir) throws java.io.IOException {
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
