package dev.modelfleet.server.agentapi;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.ArtifactChunk;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.FetchArtifactRequest;
import dev.modelfleet.protocol.agent.v1.RenewCertificateRequest;
import dev.modelfleet.protocol.agent.v1.RenewCertificateResponse;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.enrollment.EnrollmentMetrics;
import dev.modelfleet.server.enrollment.EnrollmentService;
import dev.modelfleet.server.hardware.HardwareInfo;
import dev.modelfleet.server.pki.AgentTlsConfig;
import dev.modelfleet.server.pki.CertifiedEnrollment;
import dev.modelfleet.server.pki.DeviceCertificates;
import dev.modelfleet.server.signing.RootMetadataChain;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcService;
import io.smallrye.common.annotation.Blocking;
import java.util.function.Supplier;

/**
 * The agent protocol over the feature services. Every method is @Blocking: they touch the database,
 * and the credential check in {@link DeviceAuthInterceptor} must not run on the event loop.
 */
@GrpcService
public class AgentGrpcService extends AgentServiceGrpc.AgentServiceImplBase {

  private final EnrollmentService enrollment;
  private final RootMetadataChain roots;
  private final SyncService sync;
  private final ArtifactStreamer artifacts;
  private final AgentTlsConfig tls;
  private final CertifiedEnrollment certifiedEnrollment;
  private final DeviceCertificates certificates;
  private final EnrollmentRefusals refusals;
  private final EnrollmentMetrics enrollmentMetrics;

  AgentGrpcService(
      EnrollmentService enrollment,
      RootMetadataChain roots,
      SyncService sync,
      ArtifactStreamer artifacts,
      AgentTlsConfig tls,
      CertifiedEnrollment certifiedEnrollment,
      DeviceCertificates certificates,
      EnrollmentRefusals refusals,
      EnrollmentMetrics enrollmentMetrics) {
    this.refusals = refusals;
    this.enrollmentMetrics = enrollmentMetrics;
    this.enrollment = enrollment;
    this.roots = roots;
    this.sync = sync;
    this.artifacts = artifacts;
    this.tls = tls;
    this.certifiedEnrollment = certifiedEnrollment;
    this.certificates = certificates;
  }

  @Override
  @Blocking
  public void enroll(EnrollRequest request, StreamObserver<EnrollResponse> out) {
    try {
      var application =
          new EnrollmentService.Application(
              request.getEnrollmentToken(),
              request.getDevicePublicKey().toByteArray(),
              request.getDeviceKeyProof().toByteArray(),
              request.getCertificateRequest().toByteArray(),
              request.getRequestedName(),
              request.hasHardware() ? HardwareInfo.from(request.getHardware()) : null,
              request.getHardware().hasBenchmark()
                  ? BenchmarkInfo.from(request.getHardware().getBenchmark())
                  : null,
              EnrollmentRateLimiter.REMOTE_ADDRESS.get());
      Supplier<EnrollmentService.Enrolled> enroll = () -> enrollment.enroll(application);
      var chain = roots.rootChain();
      EnrollResponse.Builder response = EnrollResponse.newBuilder();
      EnrollmentService.Enrolled enrolled;
      if (tls.mutual()) {
        if (request.getCertificateRequest().isEmpty()) {
          enrollmentMetrics.refused("missing-certificate-request");
          throw Status.INVALID_ARGUMENT
              .withDescription(
                  "certificate_request is required: this"
                      + " server runs mutual TLS; configure the agent with server-ca (the fleet CA from"
                      + " GET /api/v1/trust/fleet-ca.pem)")
              .asRuntimeException();
        }
        var certified =
            certifiedEnrollment.enroll(request.getCertificateRequest().toByteArray(), enroll);
        enrolled = certified.enrolled();
        response
            .setDeviceCertificate(ByteString.copyFrom(certified.deviceCertificate()))
            .setFleetCaCertificate(ByteString.copyFrom(certified.caCertificate()));
      } else {
        enrolled = enroll.get();
      }
      out.onNext(
          response
              .setDeviceId(enrolled.deviceId().toString())
              .setDeviceCredential(enrolled.credential())
              .setRootMetadata(chain.get(chain.size() - 1))
              .addAllRootHistory(chain.subList(0, chain.size() - 1))
              .putAllLabels(enrolled.labels())
              .setAwaitingApproval(enrolled.awaitingApproval())
              .build());
      out.onCompleted();
    } catch (RuntimeException e) {
      var status = GrpcErrors.toStatus(e);
      refusals.refused(status.getStatus());
      out.onError(status);
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
          DeviceAuthInterceptor.DEVICE_ID.get(),
          request,
          (ServerCallStreamObserver<ArtifactChunk>) out);
    } catch (Exception e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }

  @Override
  @Blocking
  public void renewCertificate(
      RenewCertificateRequest request, StreamObserver<RenewCertificateResponse> out) {
    try {
      if (!tls.mutual()) {
        throw Status.FAILED_PRECONDITION
            .withDescription(
                "this server runs without mutual TLS: there is no certificate to renew")
            .asRuntimeException();
      }
      var certificate =
          certificates.renew(
              DeviceAuthInterceptor.DEVICE_ID.get(), request.getCertificateRequest().toByteArray());
      out.onNext(
          RenewCertificateResponse.newBuilder()
              .setDeviceCertificate(ByteString.copyFrom(certificate.getEncoded()))
              .setNotAfterMs(certificate.getNotAfter().getTime())
              .build());
      out.onCompleted();
    } catch (Exception e) {
      out.onError(GrpcErrors.toStatus(e));
    }
  }
}
