package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ArtifactChunk;
import dev.modelfleet.protocol.agent.v1.FetchArtifactRequest;
import dev.modelfleet.server.artifact.ArtifactAccess;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.common.ApiError;
import io.grpc.stub.ServerCallStreamObserver;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.UUID;

/** FetchArtifact: checks the request, then hands the file to a flow-controlled pump. */
@ApplicationScoped
class ArtifactStreamer {

  private final ArtifactAccess access;
  private final ArtifactStore store;

  private final DownloadMetrics metrics;

  ArtifactStreamer(ArtifactAccess access, ArtifactStore store, DownloadMetrics metrics) {
    this.access = access;
    this.store = store;
    this.metrics = metrics;
  }

  void stream(
      UUID deviceId, FetchArtifactRequest request, ServerCallStreamObserver<ArtifactChunk> out)
      throws IOException {
    String sha256 = request.getSha256();
    if (!Dsse.isSha256Hex(sha256)) {
      throw ApiError.INVALID_SHA256.exception("sha256 must be 64 lowercase hex characters");
    }
    if (!access.mayFetch(deviceId, sha256)) {
      throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is not assigned to this device");
    }
    long offset = request.getOffset();
    if (offset < 0) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "offset " + offset + " is negative; restart from 0");
    }
    long end = request.getEndOffset();
    if (end < 0 || (end != 0 && end < offset)) {
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "end_offset " + end + " is before offset " + offset + "; leave it 0 for the whole rest");
    }
    ArtifactStore.Stored stored;
    try {
      stored = store.open(sha256, offset);
    } catch (NoSuchFileException e) {
      throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is missing from the store");
    }
    if (offset > stored.size()) {
      stored.close();
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "offset "
              + offset
              + " is outside the artifact (0.."
              + stored.size()
              + "); restart from 0");
    }
    long stop = end == 0 ? stored.size() : Math.min(end, stored.size());
    new ChunkPump(stored, stop, out, metrics).start();
  }
}
