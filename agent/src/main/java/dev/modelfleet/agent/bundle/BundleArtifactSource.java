package dev.modelfleet.agent.bundle;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.download.ArtifactSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serves the artifacts of the bundle being imported from its staged files, and everything else from
 * the network source it wraps: the deployer downloads, verifies and swaps in exactly as online,
 * only the bytes come from the USB stick. The downloader still checks size and sha256.
 */
public final class BundleArtifactSource implements ArtifactSource {

  private final ArtifactSource network;
  private volatile Map<String, Path> staged = Map.of();

  public BundleArtifactSource(ArtifactSource network) {
    this.network = network;
  }

  void offer(Map<String, Path> artifacts) {
    staged = Map.copyOf(artifacts);
  }

  void clear() {
    staged = Map.of();
  }

  @Override
  public void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    Path file = staged.get(sha256);
    if (file == null) {
      network.fetch(sha256, offset, consumer);
      return;
    }
    long total = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      in.skipNBytes(offset);
      byte[] buffer = new byte[256 * 1024];
      long at = offset;
      int n;
      while ((n = in.read(buffer)) > 0) {
        consumer.received(n);
        consumer.accept(at, ByteString.copyFrom(buffer, 0, n), total);
        at += n;
      }
    }
  }

  /** For an agent with no server: only bundles bring artifacts. */
  public static ArtifactSource offline() {
    return (sha256, offset, consumer) -> {
      throw new IOException(
          "artifact " + sha256 + " is not in the bundle and this agent has no server address");
    };
  }
}
