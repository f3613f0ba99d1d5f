package dev.modelfleet.server.delta;

import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.artifact.StagedArtifact;
import io.quarkus.hibernate.orm.panache.Panache;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * What deltas and compressed copies share: artifacts read as local files, made files stored content
 * addressed, and their {@code artifacts} row recorded under the artifact's lock.
 */
final class MadeArtifacts {

  private MadeArtifacts() {}

  /** The artifact as a local file: the store's own when it is a directory, else a copy. */
  static Path local(ArtifactStore store, String sha256, List<Path> temporary) throws IOException {
    var file = store.localFile(sha256);
    if (file.isPresent()) {
      return file.get();
    }
    Path copy = Files.createTempFile("modelfleet-delta-src-", ".onnx");
    temporary.add(copy);
    try (ArtifactStore.Stored stored = store.open(sha256, 0);
        OutputStream out = Files.newOutputStream(copy)) {
      stored.body().transferTo(out);
    }
    return copy;
  }

  /** Stores a made file; returns its sha256. */
  static String store(ArtifactStore store, Path made) throws IOException {
    StagedArtifact staged;
    try (InputStream in = Files.newInputStream(made)) {
      staged = store.stage(in);
    }
    try {
      store.commit(staged);
      return staged.sha256();
    } finally {
      store.discard(staged);
    }
  }

  /**
   * Gives stored bytes their {@code artifacts} row, under the artifact's lock (the garbage
   * collector takes it too), inside the caller's transaction. Bytes stored but never recorded (the
   * replica stopped in between) are unreferenced and collected after the grace period.
   */
  static void record(ArtifactStore store, String sha256, long size, Instant now) {
    var em = Panache.getEntityManager();
    em.createNativeQuery("select pg_advisory_xact_lock(hashtext(?1))")
        .setParameter(1, "artifact:" + sha256)
        .getSingleResult();
    if (!store.contains(sha256)) {
      throw new IllegalStateException("the made file's bytes vanished before they were recorded");
    }
    em.createNativeQuery(
            "insert into artifacts (sha256, size, created_at) values (?1, ?2, ?3)"
                + " on conflict (sha256) do nothing")
        .setParameter(1, sha256)
        .setParameter(2, size)
        .setParameter(3, now)
        .executeUpdate();
  }
}
