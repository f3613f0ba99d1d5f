package dev.modelfleet.agent.download;

import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.onnx.delta.DeltaApplier;
import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.logging.Logger;

/**
 * Rebuilds a signed artifact from the base the device holds and a delta the server offered, instead
 * of downloading it whole. The delta is only a way to get bytes: what it rebuilds must hash to the
 * signed sha256 and have the signed size before it takes the artifact's name, and every failure
 * (base missing or changed, delta not fetched, not applicable, result wrong) is a {@link
 * VerificationException} whose reason the caller reports before it downloads the artifact whole.
 * Memory stays bounded: the delta is streamed, one segment at a time (see {@link DeltaApplier}).
 */
public final class DeltaDelivery {

  private static final Logger LOG = Logger.getLogger(DeltaDelivery.class.getName());

  private final ArtifactDownloader downloader;

  public DeltaDelivery(ArtifactDownloader downloader) {
    this.downloader = downloader;
  }

  /**
   * Returns true when the artifact was rebuilt from the delta; false when it was already held
   * (nothing to do).
   */
  public boolean rebuild(
      ArtifactDelta delta, String sha256, long size, ArtifactDownloader.Progress progress)
      throws VerificationException, InterruptedException {
    Path target = downloader.finalPath(sha256);
    if (Files.exists(target) && ArtifactDownloader.matches(target, sha256, size)) {
      return false;
    }
    Path base = downloader.finalPath(delta.getBaseSha256());
    if (!Files.exists(base)) {
      throw new VerificationException(
          "delta-base-missing",
          "the delta starts from " + delta.getBaseSha256() + ", which this device no longer holds");
    }
    if (!ArtifactDownloader.matches(base, delta.getBaseSha256(), delta.getBaseSize())) {
      throw new VerificationException(
          "delta-base-mismatch",
          "the file of base " + delta.getBaseSha256() + " here no longer hashes to it");
    }
    Path deltaFile;
    try {
      deltaFile = downloader.download(delta.getSha256(), delta.getSize(), progress);
    } catch (VerificationException e) {
      throw new VerificationException(
          "delta-download-failed", e.reasonCode() + ": " + e.getMessage(), e);
    }
    Path rebuilt = target.resolveSibling(sha256 + ".from-delta");
    try {
      long started = System.nanoTime();
      String digest = apply(base, deltaFile, rebuilt);
      long actual = Files.size(rebuilt);
      if (actual != size || !digest.equals(sha256)) {
        throw new VerificationException(
            "delta-result-mismatch",
            "the delta rebuilt "
                + actual
                + " bytes hashing to "
                + digest
                + ", not the signed "
                + size
                + " bytes of "
                + sha256);
      }
      Files.move(rebuilt, target, StandardCopyOption.ATOMIC_MOVE);
      SecureFiles.syncDirectory(target.toAbsolutePath().getParent());
      LOG.info(
          "rebuilt "
              + sha256
              + " ("
              + size
              + " bytes) from a delta of "
              + delta.getSize()
              + " bytes in "
              + (System.nanoTime() - started) / 1_000_000
              + " ms");
      return true;
    } catch (IOException e) {
      throw new VerificationException(
          "delta-apply-failed", "the delta could not be applied: " + e.getMessage(), e);
    } finally {
      deleteQuietly(rebuilt);
      deleteQuietly(deltaFile);
    }
  }

  /** Writes the rebuilt artifact, durably; returns its sha256 (hashed while written). */
  private static String apply(Path base, Path deltaFile, Path rebuilt) throws IOException {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(deltaFile);
        FileChannel channel =
            FileChannel.open(
                rebuilt,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      OutputStream out =
          new DigestOutputStream(
              new BufferedOutputStream(
                  java.nio.channels.Channels.newOutputStream(channel), 1 << 16),
              digest);
      DeltaApplier.apply(base, in, out);
      out.flush();
      channel.force(false);
    }
    return HexFormat.of().formatHex(digest.digest());
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
      // a leftover is removed with the unused artifacts
    }
  }
}
