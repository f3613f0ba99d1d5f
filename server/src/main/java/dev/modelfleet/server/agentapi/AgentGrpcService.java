package dev.modelfleet.server.agentapi;

import dev.modelfleet.agent.v1.AgentMessage;
import dev.modelfleet.agent.v1.AgentServiceGrpc;
import dev.modelfleet.agent.v1.ArtifactChunk;
import dev.modelfleet.agent.v1.EnrollRequest;
import dev.modelfleet.agent.v1.EnrollResponse;
import dev.modelfleet.agent.v1.FetchArtifactRequest;
import dev.modelfleet.agent.v1.ServerMessage;
import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.device.HardwareInfo;
import dev.modelfleet.server.enrollment.EnrollmentService;
import dev.modelfleet.server.signing.SigningService;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;

/**
 * The agent protocol over the feature services. Every method is @Blocking: they touch the
 * database, and the credential check in {@link DeviceAuthInterceptor} must not run on the
 * event loop.
 */
@GrpcService
public class AgentGrpcService extends AgentServiceGrpc.AgentServiceImplBase {

  private final EnrollmentService enrollment;
  private final SigningService signing;
  private final SyncService sync;
  private final ArtifactStreamer artifacts;

  AgentGrpcService(
      EnrollmentService enrollment, SigningService signing, SyncService sync, ArtifactStreamer artifacts) {
    this.enrollment = enrollment;
    this.signing = signing;
    this.sync = sync;
    this.artifacts = artifacts;
  }

  @Override
  @Blocking
  public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> out) {
    try {
      var enrolled =
          enrollment.enroll(
              request.getEnrollmentToken(),
              request.getDevicePublicKey().toByteArray(),
              request.getRequestedName(),
              request.hasHardware() ? HardwareInfo.from(request.getHardware()) : null,
              request.getHardware().hasBenchmark()
                  ? BenchmarkInfo.from(request.getHardware().getBenchmark())
                  : null);
      out.onNext(
          EnrollResponse.newBuilder()
              .setDeviceId(enrolled.deviceId().toString())
              .setDeviceCredential(enrolled.credential())
              .setRootMetadata(signing.rootMetadata())
              .putAllLabels(enrolled.labels())
              .setAwaitingApproval(enrolled.awaitingApproval())
              .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  @Override
  @Blocking
  public StreamObserver<AgentMessage> sync(StreamObserver<ServerMessage> out) {
    return new SyncSession(
        DeviceAuthInterceptor.DEVICE_ID.get(), (ServerCallStreamObserver<ServerMessage>) out, sync);
  }

  @Override
  @Blocking
  public void fetchArtifact(FetchArtifactRequest request, StreamObserver<ArtifactChunk> out) {
    try {
      artifacts.stream(
          DeviceAuthInterceptor.DEVICE_ID.get(), request, (ServerCallStreamObserver<ArtifactChunk>) out);
    } catch (Exception e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }
}
