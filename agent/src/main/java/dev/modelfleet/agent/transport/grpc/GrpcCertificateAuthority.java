package dev.modelfleet.agent.transport.grpc;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.tls.CertificateAuthority;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.RenewCertificateRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;

/**
 * RenewCertificate: UNAUTHENTICATED means the device must enroll again; anything else is retried.
 */
final class GrpcCertificateAuthority implements CertificateAuthority {

  private final AgentServiceGrpc.AgentServiceBlockingStub stub;

  /**
   * @param stub authenticated as this device (its channel presents the current certificate)
   */
  GrpcCertificateAuthority(AgentServiceGrpc.AgentServiceBlockingStub stub) {
    this.stub = stub;
  }

  @Override
  public byte[] renew(byte[] certificateRequest) throws Refused, Unavailable {
    try {
      return stub.withDeadlineAfter(30, TimeUnit.SECONDS)
          .renewCertificate(
              RenewCertificateRequest.newBuilder()
                  .setCertificateRequest(ByteString.copyFrom(certificateRequest))
                  .build())
          .getDeviceCertificate()
          .toByteArray();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNAUTHENTICATED) {
        throw new Refused(e.getStatus().getDescription());
      }
      throw new Unavailable(e.getStatus().toString(), e);
    }
  }
}
