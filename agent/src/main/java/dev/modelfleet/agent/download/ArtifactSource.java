package dev.modelfleet.agent.download;

import com.google.protobuf.ByteString;
import java.io.IOException;

/**
 * Where artifact bytes come from (HTTP or FetchArtifact over gRPC in the agent, an in-memory store
 * in tests). Kept this small so that download and verification are testable without a network.
 */
public interface ArtifactSource {

  /**
   * Streams the artifact {@code sha256} from {@code offset} to its end, in order. Returns when the
   * stream ends; a consumer that throws stops the stream (and the call is cancelled).
   */
  void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException;

  @FunctionalInterface
  interface ChunkConsumer {
    void accept(long offset, ByteString data, long totalSize) throws IOException;

    /**
     * Bytes read off the wire, called as they arrive (before a source that buffers hands them
     * over), so the downloader judges the link's rate rather than the buffer size. Throws once the
     * download has been abandoned (too slow): the source then stops reading.
     */
    default void received(long bytes) throws IOException {}

    /**
     * The offset where the artifact must end (its signed size): a source reads at most one byte
     * beyond it, which is enough to prove the artifact longer (endless data) without taking in what
     * follows.
     */
    default long endOffset() {
      return Long.MAX_VALUE;
    }

    /**
     * Where this request may end before the artifact does: the download policy allows no more bytes
     * today. A source that can ask for a closed range asks for bytes up to here, so that the server
     * sends no more than a metered link's budget; any other is stopped by the consumer refusing the
     * rest, after what was already in flight. {@link Long#MAX_VALUE}: no such end.
     */
    default long stopOffset() {
      return Long.MAX_VALUE;
    }

    /**
     * How long a read may wait for its first byte before the download counts as stalled (a whole
     * window without a byte is below any rate floor); a source that can time out a read uses it
     * instead of its own, longer limit.
     */
    default long stallTimeoutMillis() {
      return Long.MAX_VALUE;
    }

    /**
     * The source says how to stop it from another thread: the downloader abandons a download that
     * has stalled in a read, where no chunk will come to be refused. Must not block.
     */
    default void abortWith(Runnable abort) {}
  }
}
