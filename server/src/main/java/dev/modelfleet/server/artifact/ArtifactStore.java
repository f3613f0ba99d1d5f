package dev.modelfleet.server.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
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

  /**
   * Every artifact stored, with its size and when it was written: what the garbage collector
   * ({@link ArtifactCollector}) weighs against the database. Anything under the store's folder or
   * prefix that is not named by a sha256 is not listed, and so never collected.
   */
  List<Listed> list() throws IOException;

  /**
   * Removes a stored artifact for the garbage collector; unlike {@link #delete}, says so if not.
   */
  void remove(String sha256) throws IOException;

  /**
   * Removes uploads begun before {@code cutoff} and never committed: staged files a crashed or
   * killed upload left behind, and the store's own unfinished uploads (S3 multipart uploads).
   */
  Purged purgeUnfinished(Instant cutoff) throws IOException;

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

  /** A stored artifact: its address, size and when it was written. */
  record Listed(String sha256, long size, Instant lastModified) {

    private static final java.util.regex.Pattern SHA256 =
        java.util.regex.Pattern.compile("[0-9a-f]{64}");

    /** Whether a file or key name is a content address (and not, say, a stray upload). */
    static boolean isAddress(String name) {
      return SHA256.matcher(name).matches();
    }
  }

  /** Unfinished uploads removed, and the bytes they held where the store knows them. */
  record Purged(int uploads, long bytes) {
    static final Purged NONE = new Purged(0, 0);

    Purged plus(Purged other) {
      return new Purged(uploads + other.uploads, bytes + other.bytes);
    }
  }

  /** A download address and the instant (epoch ms) after which the storage refuses it. */
  record DirectUrl(URI url, long expiresAtMs) {}
}
