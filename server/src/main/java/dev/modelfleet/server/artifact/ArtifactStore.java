package dev.modelfleet.server.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where artifacts live, by content: {@code sha256/<first two hex>/<sha256>} on the server's disk
 * ({@link FilesystemArtifactStore}, the default) or in an S3-compatible bucket ({@link
 * S3ArtifactStore}). An upload is staged on local disk while it is hashed (the model checks need a
 * file), then committed under its address in one step that is either whole or invisible. A store
 * that cannot be reached answers {@code storage-unavailable} (503) and keeps nothing.
 */
public interface ArtifactStore {

  /** Streams {@code body} to a temporary local file while hashing it; nothing is stored yet. */
  StagedArtifact stage(InputStream body) throws IOException;

  /**
   * Stores a staged upload under its content address. Returns false when those bytes were already
   * stored. A failure leaves nothing visible under the address.
   */
  boolean commit(StagedArtifact staged) throws IOException;

  /** Drops the staged file (after commit, or instead of it). */
  void discard(StagedArtifact staged);

  /** Removes a stored artifact whose database row could not be written. */
  void delete(String sha256);

  boolean contains(String sha256);

  /**
   * The stored bytes from {@code offset} to the end; {@link java.nio.file.NoSuchFileException} when
   * the store does not hold them.
   */
  Stored open(String sha256, long offset) throws IOException;

  /** The whole artifact in memory, for the derivation jobs (which parse it whole anyway). */
  default byte[] readAll(String sha256) throws IOException {
    try (Stored stored = open(sha256, 0)) {
      return stored.body().readAllBytes();
    }
  }

  /** The local file, when the store is a directory: the server then answers with sendfile. */
  Optional<Path> localFile(String sha256);

  /**
   * A short-lived address a device downloads these bytes from without any credential of its own (an
   * S3 presigned GET), or empty when devices download through the server.
   */
  Optional<DirectUrl> directUrl(String sha256);

  /** An open artifact: its whole size and the bytes from the offset asked for. */
  record Stored(long size, long offset, InputStream body) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      body.close();
    }
  }

  /** A download address and the instant (epoch ms) after which the storage refuses it. */
  record DirectUrl(URI url, long expiresAtMs) {}
}
