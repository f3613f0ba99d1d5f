package dev.modelfleet.e2e.sim;

import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.ArtifactChunk;
import dev.modelfleet.protocol.agent.v1.FetchArtifactRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/** One artifact over FetchArtifact, read on the calling download thread. */
final class GrpcArtifactFetch {

  /** A stalled download must end some time so the device reports FAILED instead of hanging. */
  private static final long DEADLINE_MINUTES = 10;

  private GrpcArtifactFetch() {}

  /**
   * @throws IOException when the stream failed, broke order or the bytes could not be written
   */
  static void fetch(
      AgentServiceGrpc.AgentServiceBlockingStub stub, String sha256, ArtifactBytes into)
      throws IOException {
    Iterator<ArtifactChunk> chunks =
        stub.withDeadlineAfter(DEADLINE_MINUTES, TimeUnit.MINUTES)
            .fetchArtifact(
                FetchArtifactRequest.newBuilder().setSha256(sha256).setOffset(0).build());
    try {
      while (chunks.hasNext()) {
        ArtifactChunk chunk = chunks.next();
        // Chunks must arrive in order and contiguous; a gap would hash to garbage anyway, but
        // saying so names the real fault.
        if (chunk.getOffset() != into.received()) {
          throw new IOException(
              "FetchArtifact "
                  + sha256
                  + " sent a chunk at offset "
                  + chunk.getOffset()
                  + " where "
                  + into.received()
                  + " was expected");
        }
        into.add(chunk.getData().asReadOnlyByteBuffer());
      }
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      throw new IOException(
          "FetchArtifact "
              + sha256
              + " ended with "
              + status.getCode()
              + (status.getDescription() == null ? "" : ": " + status.getDescription()),
          e);
    }
  }
}
