package dev.modelfleet.agent.testing;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.download.ArtifactFetchException;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.protocol.Dsse;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Serves artifacts from memory, the way FetchArtifact does (in order, from an offset, with the
 * total size on each chunk). Tests swap bytes, truncate or extend what it serves.
 */
public final class InMemoryArtifactSource implements ArtifactSource {

  private final Map<String, byte[]> artifacts = new ConcurrentHashMap<>();
  public final List<Long> requestedOffsets = new CopyOnWriteArrayList<>();
  public volatile int chunkSize = 64;

  /** When set, chunks announce this total size instead of the real one (a lying server). */
  public volatile Long announcedSize;

  public String put(byte[] artifact) {
    String sha = Dsse.sha256Hex(artifact);
    artifacts.put(sha, artifact);
    return sha;
  }

  /** Serves {@code bytes} under {@code sha256}: for tampered, short or long artifacts. */
  public void putAs(String sha256, byte[] bytes) {
    artifacts.put(sha256, bytes);
  }

  @Override
  public void fetch(String sha256, long offset, ChunkConsumer consumer)
      throws ArtifactFetchException, IOException {
    requestedOffsets.add(offset);
    byte[] bytes = artifacts.get(sha256);
    if (bytes == null) {
      throw new ArtifactFetchException(ArtifactFetchException.Kind.NOT_FOUND, "no " + sha256, null);
    }
    if (offset > bytes.length) {
      throw new ArtifactFetchException(ArtifactFetchException.Kind.OUT_OF_RANGE, "offset", null);
    }
    for (long at = offset; at < bytes.length; at += chunkSize) {
      int length = (int) Math.min(chunkSize, bytes.length - at);
      consumer.accept(
          at,
          ByteString.copyFrom(bytes, (int) at, length),
          announcedSize != null ? announcedSize : bytes.length);
    }
  }
}
