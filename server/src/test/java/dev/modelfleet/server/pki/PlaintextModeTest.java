package dev.modelfleet.server.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.RenewCertificateRequest;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.junit.QuarkusTest;
import java.security.KeyPair;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** With modelfleet.agent-tls.mode=off (the test default) there is nothing to renew. */
@QuarkusTest
class PlaintextModeTest {

  @Test
  void renewCertificateIsAFailedPrecondition() throws Exception {
    var channel =
        io.grpc.ManagedChannelBuilder.forAddress("localhost", AgentClient.port())
            .usePlaintext()
            .build();
    try (AgentClient agent = new AgentClient()) {
      var device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
      assertTrue(device.getDeviceCertificate().isEmpty(), "no certificate without mutual TLS");
      KeyPair key = FleetCa.newP256KeyPair();
      Metadata headers = new Metadata();
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
          "Bearer " + device.getDeviceCredential());
      var e =
          org.junit.jupiter.api.Assertions.assertThrows(
              StatusRuntimeException.class,
              () ->
                  AgentServiceGrpc.newBlockingStub(channel)
                      .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                      .renewCertificate(
                          RenewCertificateRequest.newBuilder()
                              .setCertificateRequest(
                                  ByteString.copyFrom(
                                      TlsAgent.csr(key, key.getPrivate(), device.getDeviceId())))
                              .build()));
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    } finally {
      channel.shutdownNow();
    }
  }
}
