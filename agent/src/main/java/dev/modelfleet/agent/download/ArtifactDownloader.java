package dev.modelfleet.agent.download;

import dev.modelfleet.agent.metrics.AgentMetrics;
import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.agent.trust.VerificationException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Downloads an artifact into {@code <sha256>.part}, resuming from whatever that file holds, hashing
 * as it writes, and renames it to its final name only when size and sha256 match the signed
 * manifest. Nothing ever parses a file that has not passed that check.
 */
public final class ArtifactDownloader {

  /** Receives (bytesDone, bytesTotal); called at most every ~250 ms or 10 %. */
  @FunctionalInterface
  public interface Progress {
    void update(long bytesDone, long bytesTotal);

    /**
     * The download waits for the download policy (window closed, budget spent) with {@code
     * bytesDone} bytes fetched; called once per distinct wait, before it.
     */
    default void waiting(DownloadGate.Wait wait, long bytesDone, long bytesTotal) {}
  }

  private static final int HASH_BUFFER = 1 << 20;

  private final ArtifactSource source;
  private final Function<String, Path> finalPath;
  private final Function<String, Path> partialPath;
  private final int attempts;
  private final long retryDelayMs;
  private final ThroughputFloor floor;

  /** One lock per artifact, kept: a device sees few artifacts in its life. */
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  /** Artifacts a trial is using beyond its download (sha256 → users); never cleaned up. */
  private final Map<String, Integer> pins = new ConcurrentHashMap<>();

  private volatile AgentMetrics metrics = new AgentMetrics();

  private volatile DownloadGate gate = DownloadGate.open();

  public ArtifactDownloader(
      ArtifactSource source,
      Function<String, Path> finalPath,
      Function<String, Path> partialPath,
      int attempts,
      long retryDelayMs) {
    this(source, finalPath, partialPath, attempts, retryDelayMs, ThroughputFloor.DEFAULT);
  }

  /**
   * @param floor the slowest download tolerated: an attempt below it is abandoned and resumed after
   *     the back-off (slow retrieval)
   */
  public ArtifactDownloader(
      ArtifactSource source,
      Function<String, Path> finalPath,
      Function<String, Path> partialPath,
      int attempts,
      long retryDelayMs,
      ThroughputFloor floor) {
    this.floor = floor;
    this.source = source;
    this.finalPath = finalPath;
    this.partialPath = partialPath;
    this.attempts = attempts;
    this.retryDelayMs = retryDelayMs;
  }

  /** Where the verified artifact {@code sha256} lives once downloaded. */
  public Path finalPath(String sha256) {
    return finalPath.apply(sha256);
  }

  /** Holds every download to the signed download policy {@code gate} enforces. */
  public ArtifactDownloader governedBy(DownloadGate gate) {
    this.gate = gate;
    return this;
  }

  /** The gate downloads pass through. */
  public DownloadGate gate() {
    return gate;
  }

  /** Counts the bytes downloaded and the downloads given up into {@code metrics}. */
  public ArtifactDownloader countInto(AgentMetrics metrics) {
    this.metrics = metrics;
    return this;
  }

  /**
   * Returns the path of the verified artifact, downloading what is missing. A deployment and a
   * trial may want the same artifact at once; they take turns, so one never writes into the other's
   * partial file.
   */
  public Path download(String sha256, long size, Progress progress)
      throws VerificationException, InterruptedException {
    ReentrantLock lock = lock(sha256);
    lock.lockInterruptibly();
    try {
      return downloadAlone(sha256, size, progress);
    } catch (VerificationException e) {
      metrics.downloadFailed(e.reasonCode());
      throw e;
    } finally {
      lock.unlock();
    }
  }

  private ReentrantLock lock(String sha256) {
    return locks.computeIfAbsent(sha256, s -> new ReentrantLock());
  }

  /**
   * Keeps the artifact's files from {@link #deleteUnlessInUse} until the returned handle runs: a
   * trial pins its candidate from before its download until its session is closed.
   */
  public Runnable pin(String sha256) {
    pins.merge(sha256, 1, Integer::sum);
    return () -> pins.computeIfPresent(sha256, (s, users) -> users == 1 ? null : users - 1);
  }

  /**
   * Deletes one of the artifact's files (final or partial) unless it is pinned or being downloaded
   * right now; returns whether it was deleted. For clean-ups of unwanted artifacts.
   */
  public boolean deleteUnlessInUse(String sha256, Path file) throws IOException {
    ReentrantLock lock = lock(sha256);
    if (!lock.tryLock()) {
      return false;
    }
    try {
      return !pins.containsKey(sha256) && Files.deleteIfExists(file);
    } finally {
      lock.unlock();
    }
  }

  private Path downloadAlone(String sha256, long size, Progress progress)
      throws VerificationException, InterruptedException {
    Path target = finalPath.apply(sha256);
    if (Files.exists(target) && matches(target, sha256, size)) {
      return target;
    }
    Path part = partialPath.apply(sha256);
    VerificationException last = null;
    String digest = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      try {
        awaitTurn(part, size, progress);
        digest = fetchInto(part, sha256, size, progress);
        last = null;
        break;
      } catch (DownloadGate.PausedException e) {
        // The policy stopped it, not the link: no attempt spent; wait, then resume.
        attempt--;
        continue;
      } catch (ArtifactFetchException e) {
        switch (e.kind()) {
          case OUT_OF_RANGE -> deleteQuietly(part);
          case NOT_FOUND ->
              throw new VerificationException(
                  "artifact-not-found",
                  "the server has no artifact " + sha256 + " for this device: " + e.getMessage());
          case FATAL ->
              throw new VerificationException(
                  "download-failed", "download of " + sha256 + " refused: " + e.getMessage());
          case RETRYABLE -> {}
        }
        last =
            new VerificationException(
                "download-failed", "download of " + sha256 + " failed: " + e.getMessage(), e);
      } catch (TruncatedException e) {
        last = new VerificationException("download-incomplete", e.getMessage());
      } catch (TooSlowException e) {
        last = new VerificationException("download-too-slow", e.getMessage());
      } catch (VerificationException e) {
        // The server's bytes disagreed with the signed size: nothing of them is worth keeping.
        deleteQuietly(part);
        throw e;
      } catch (IOException e) {
        throw new VerificationException(
            "disk-error", "could not write " + part + ": " + e.getMessage(), e);
      }
      if (attempt < attempts) {
        Thread.sleep(retryDelayMs * attempt);
      }
    }
    if (last != null) {
      throw last;
    }
    return verifyAndPublish(part, target, sha256, size, digest);
  }

  /** Waits while the download policy forbids downloading, reporting the wait. */
  private void awaitTurn(Path part, long size, Progress progress) throws InterruptedException {
    gate.awaitTurn(
        wait -> {
          long have = 0;
          try {
            have = Files.exists(part) ? Files.size(part) : 0;
          } catch (IOException e) {
            // Reported as 0 bytes: only a figure for the operator.
          }
          progress.waiting(wait, Math.min(have, size), size);
        });
  }

  /** Returns the hex sha256 of the whole partial file, hashed while it was written. */
  private String fetchInto(Path part, String sha256, long size, Progress progress)
      throws ArtifactFetchException,
          IOException,
          VerificationException,
          TruncatedException,
          TooSlowException {
    MessageDigest digest = sha256();
    try (FileChannel channel =
        FileChannel.open(
            part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long have = channel.size();
      if (have > size) {
        // Cannot be a prefix of the artifact we want: start over.
        channel.truncate(0);
        have = 0;
      }
      hashPrefix(channel, have, digest);
      channel.position(have);
      if (have == size) {
        return HexFormat.of().formatHex(digest.digest());
      }
      try (SlowRetrievalWatch watch = new SlowRetrievalWatch(gate.floorUnder(floor));
          EarlyWriteback writeback = new EarlyWriteback(channel, have)) {
        ChunkWriter writer =
            new ChunkWriter(channel, digest, have, size, sha256, progress, watch, gate, writeback);
        try {
          source.fetch(sha256, have, writer);
        } catch (DownloadGate.PausedException e) {
          throw e;
        } catch (ChunkWriter.OversizeException e) {
          channel.truncate(0);
          throw new VerificationException(e.reasonCode(), e.getMessage());
        } catch (ArtifactFetchException | IOException e) {
          if (watch.tripped() || (floor.enabled() && stalled(e))) {
            throw tooSlow(sha256, writer, watch);
          }
          throw e;
        } finally {
          metrics.downloaded(writer.position() - have);
          writeback.close();
          channel.force(false);
          gate.flush();
        }
        if (watch.tripped() && writer.position() < size) {
          throw tooSlow(sha256, writer, watch);
        }
        if (writer.position() < size) {
          // a closed range that ended at the day's budget: the policy's pause, not a short read
          Optional<DownloadGate.Wait> wait = gate.waitNow();
          if (wait.isPresent()) {
            throw new DownloadGate.PausedException(wait.get());
          }
        }
        checkComplete(sha256, size, writer);
      }
      return HexFormat.of().formatHex(digest.digest());
    }
  }

  /** A read that timed out: with a rate floor, the timeout is its window, so too slow. */
  private static boolean stalled(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.net.SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private static TooSlowException tooSlow(
      String sha256, ChunkWriter writer, SlowRetrievalWatch watch) {
    return new TooSlowException(
        "the download of "
            + sha256
            + " brought "
            + watch.describe()
            + "; abandoned at byte "
            + writer.position()
            + ", resumed from there after a back-off");
  }

  private static void checkComplete(String sha256, long size, ChunkWriter writer)
      throws TruncatedException {
    if (writer.position() < size) {
      throw new TruncatedException(
          "the server ended the download of "
              + sha256
              + " at "
              + writer.position()
              + " of "
              + size
              + " bytes; it resumes from there on the next attempt");
    }
  }

  private Path verifyAndPublish(
      Path part, Path target, String sha256, long size, String digestWhileWriting)
      throws VerificationException {
    try {
      long actual = Files.size(part);
      if (actual != size) {
        deleteQuietly(part);
        throw new VerificationException(
            "size-mismatch", "artifact " + sha256 + " has " + actual + " bytes, expected " + size);
      }
      if (!sha256.equals(digestWhileWriting)) {
        deleteQuietly(part);
        throw new VerificationException(
            "sha256-mismatch",
            "artifact bytes do not hash to "
                + sha256
                + " as the signed manifest says: corrupted"
                + " or tampered in transit or storage; refused");
      }
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      // Durable before state.json (fsynced) can name it active: a power cut must not leave
      // an active model whose file the directory forgot.
      SecureFiles.syncDirectory(target.toAbsolutePath().getParent());
      return target;
    } catch (IOException e) {
      throw new VerificationException("disk-error", "could not publish " + target + ": " + e, e);
    }
  }

  /** Re-hashes a whole file: done before any file is handed to a parser. */
  public static boolean matches(Path file, String sha256, long size) {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      if (channel.size() != size) {
        return false;
      }
      MessageDigest digest = sha256();
      hashPrefix(channel, size, digest);
      return HexFormat.of().formatHex(digest.digest()).equals(sha256);
    } catch (IOException e) {
      return false;
    }
  }

  private static void hashPrefix(FileChannel channel, long length, MessageDigest digest)
      throws IOException {
    ByteBuffer buffer = ByteBuffer.allocateDirect((int) Math.min(HASH_BUFFER, Math.max(length, 1)));
    long read = 0;
    channel.position(0);
    while (read < length) {
      buffer.clear();
      buffer.limit((int) Math.min(buffer.capacity(), length - read));
      int n = channel.read(buffer);
      if (n < 0) {
        break;
      }
      buffer.flip();
      digest.update(buffer);
      read += n;
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // The next attempt truncates it anyway.
    }
  }

  private static final class TooSlowException extends Exception {
    TooSlowException(String message) {
      super(message);
    }
  }

  private static final class TruncatedException extends Exception {
    TruncatedException(String message) {
      super(message);
    }
  }
}
