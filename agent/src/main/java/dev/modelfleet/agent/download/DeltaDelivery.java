package dev.modelfleet.agent.download;

import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.onnx.delta.DeltaApplier;
import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Rebuilds a signed artifact from the base the device holds and a delta the server offered, instead
 * of downloading it whole. The delta is only a way to get bytes: what it rebuilds must hash to the
 * signed sha256 and have the signed size before it takes the artifact's name, and every failure
 * (base missing or changed, delta not fetched, not applicable, result wrong) is a {@link
 * VerificationException} whose reason the caller reports before it downloads the artifact whole.
 * Memory stays bounded: the delta is streamed, one segment at a time (see {@link DeltaApplier}).
 */
public final class DeltaDelivery {

  private static final SignedRebuild.Way WAY =
      new SignedRebuild.Way("delta", "delta-apply-failed", "the delta", "rebuilt");

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
    SignedRebuild.rebuild(
        downloader,
        WAY,
        delta.getSha256(),
        delta.getSize(),
        sha256,
        size,
        progress,
        (in, out) -> DeltaApplier.apply(base, in, out));
    return true;
  }
}
