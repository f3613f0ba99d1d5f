package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.v1.AgentServiceGrpc;
import dev.modelfleet.agent.v1.ArtifactChunk;
import dev.modelfleet.agent.v1.FetchArtifactRequest;
import dev.modelfleet.agent.v1.VariantManifest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Downloads one artifact over FetchArtifact and checks its size and sha256 while the bytes
 * stream past. Nothing is written: a simulated device has no use for the model, and keeping
 * thousands of copies would measure the disk rather than the server.
 */
final class ArtifactCheck implements StreamObserver<ArtifactChunk> {

  /** The result: {@code reasonCode} null when the artifact checked out. */
  interface Outcome {
    void finished(String reasonCode, String reason);
  }

  /** A stalled download must end some time so the device reports FAILED instead of hanging. */
  private static final long DEADLINE_MINUTES = 10;

  private final VariantManifest manifest;
  private final Outcome outcome;
  private final MessageDigest sha256;
  private long received;
  private String broken;

  private ArtifactCheck(VariantManifest manifest, Outcome outcome) {
    this.manifest = manifest;
    this.outcome = outcome;
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static void start(AgentServiceGrpc.AgentServiceStub stub, VariantManifest manifest,
      Outcome outcome) {
    stub.withDeadlineAfter(DEADLINE_MINUTES, TimeUnit.MINUTES).fetchArtifact(
        FetchArtifactRequest.newBuilder().setSha256(manifest.getSha256()).setOffset(0).build(),
        new ArtifactCheck(manifest, outcome));
  }

  @Override
  public void onNext(ArtifactChunk chunk) {
    // Chunks must arrive in order and contiguous; a gap would hash to garbage anyway, but
    // saying so names the real fault.
    if (broken == null && chunk.getOffset() != received) {
      broken = "chunk at offset " + chunk.getOffset() + " where " + received + " was expected";
    }
    sha256.update(chunk.getData().asReadOnlyByteBuffer());
    received += chunk.getData().size();
  }

  @Override
  public void onError(Throwable error) {
    Status status = Status.fromThrowable(error);
    outcome.finished("download-failed", "FetchArtifact " + manifest.getSha256() + " ended with "
        + status.getCode() + (status.getDescription() == null ? "" : ": "
        + status.getDescription()));
  }

  @Override
  public void onCompleted() {
    String digest = HexFormat.of().formatHex(sha256.digest());
    if (broken != null) {
      outcome.finished("download-failed", "the artifact stream was out of order: " + broken);
    } else if (received != manifest.getSize()) {
      outcome.finished("size-mismatch", "downloaded " + received + " bytes, the manifest says "
          + manifest.getSize());
    } else if (!digest.equals(manifest.getSha256())) {
      outcome.finished("sha256-mismatch", "downloaded bytes hash to " + digest
          + ", the manifest says " + manifest.getSha256());
    } else {
      outcome.finished(null, null);
    }
  }
}
