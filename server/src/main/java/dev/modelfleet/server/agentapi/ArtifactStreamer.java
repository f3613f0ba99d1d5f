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
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
    Path path = store.path(sha256);
    FileChannel file;
    try {
      file = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw ApiError.NOT_FOUND.exception("artifact " + sha256 + " is missing from the store");
    }
    long size = file.size();
    long offset = request.getOffset();
    if (offset < 0 || offset > size) {
      file.close();
      throw ApiError.OFFSET_OUT_OF_RANGE.exception(
          "offset " + offset + " is outside the artifact (0.." + size + "); restart from 0");
    }
    new ChunkPump(file, offset, size, out, metrics).start();
  }
}
