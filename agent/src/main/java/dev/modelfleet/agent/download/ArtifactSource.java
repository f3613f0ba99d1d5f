package dev.modelfleet.agent.download;

import com.google.protobuf.ByteString;
import java.io.IOException;

/**
 * Where artifact bytes come from (HTTP or FetchArtifact over gRPC in the agent, an in-memory
 * store in tests). Kept this small so that download and verification are testable without a network.
 */
public interface ArtifactSource {

  /**
   * Streams the artifact {@code sha256} from {@code offset} to its end, in order. Returns when
   * the stream ends; a consumer that throws stops the stream (and the call is cancelled).
   */
  void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException;

  @FunctionalInterface
  interface ChunkConsumer {
    void accept(long offset, ByteString data, long totalSize) throws IOException;
  }
}
