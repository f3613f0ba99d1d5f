package dev.modelfleet.agent.transport.grpc;

import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.identity.DeviceIdentity;
import dev.modelfleet.agent.identity.Enrollment;
import dev.modelfleet.agent.identity.IdentityStore;
import dev.modelfleet.agent.session.Backoff;
import dev.modelfleet.agent.tls.CertificateRequest;
import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Enroll over gRPC, tried again with backoff until the server answers; a refused token, a malformed
 * request or a key enrolled already ends it with what to do. Every attempt sends the same device
 * key with its proof, so an attempt whose reply was lost is answered again, not doubled. With
 * mutual TLS the request also asks for a device certificate, for a key made on the device.
 */
final class GrpcEnrollment {

  private static final Logger LOG = Logger.getLogger("modelfleet.agent");

  private final AgentServiceGrpc.AgentServiceBlockingStub stub;
  private final String server;

  /**
   * @param stub without a credential: the device has none yet
   * @param server the server's address, for the log
   */
  GrpcEnrollment(AgentServiceGrpc.AgentServiceBlockingStub stub, String server) {
    this.stub = stub;
    this.server = server;
  }

  /** With {@code tlsStore}, also asks for a device certificate and stores it with its key. */
  DeviceIdentity enroll(
      IdentityStore identities,
      RootPin pin,
      TlsIdentityStore tlsStore,
      String token,
      String name,
      Supplier<HardwareProfile> hardware)
      throws ConfigException, IOException, VerificationException, InterruptedException {
    Backoff backoff = new Backoff(500, 30_000);
    // one TLS key for every attempt, as the device key (IdentityStore) is one: a retry after a
    // lost reply is the same enrollment to the server, and is answered with the same device
    KeyPair tlsKey = tlsStore == null ? null : CertificateRequest.newKeyPair();
    while (true) {
      try {
        DeviceIdentity identity =
            Enrollment.enroll(
                identities,
                request ->
                    tlsKey == null
                        ? stub.withDeadlineAfter(30, TimeUnit.SECONDS).enroll(request)
                        : enrollWithCertificate(request, tlsKey, tlsStore),
                token,
                name,
                hardware.get(),
                tlsKey == null ? new byte[0] : CertificateRequest.create(tlsKey, ""),
                pin,
                System.currentTimeMillis());
        LOG.info("enrolled as device " + identity.deviceId());
        return identity;
      } catch (StatusRuntimeException e) {
        Status status = e.getStatus();
        switch (status.getCode()) {
          case PERMISSION_DENIED ->
              throw new ConfigException(
                  "enrollment refused: the token is"
                      + " unknown, revoked, expired or used up ("
                      + status.getDescription()
                      + "); ask an operator for a new token");
          case INVALID_ARGUMENT ->
              throw new ConfigException(
                  "enrollment refused as malformed ("
                      + status.getDescription()
                      + "); check --token");
          case ALREADY_EXISTS ->
              throw new ConfigException(
                  "enrollment refused: this device's key is enrolled already ("
                      + status.getDescription()
                      + ")");
          default -> {
            long delay = backoff.nextDelayMs();
            // every failure is logged with its reason: a rate limit (RESOURCE_EXHAUSTED), a
            // server starting or busy (UNAVAILABLE, DEADLINE_EXCEEDED) or failing (INTERNAL)
            LOG.info(
                "enrollment: server "
                    + server
                    + " did not enroll this device ("
                    + status.getCode()
                    + (status.getDescription() == null ? "" : ": " + status.getDescription())
                    + "); retrying in "
                    + delay
                    + " ms");
            Thread.sleep(delay);
          }
        }
      }
    }
  }

  /** The key and certificate are stored before Enrollment stores the identity that needs them. */
  private EnrollResponse enrollWithCertificate(
      EnrollRequest request, KeyPair tlsKey, TlsIdentityStore tlsStore) {
    EnrollResponse response = stub.withDeadlineAfter(30, TimeUnit.SECONDS).enroll(request);
    try {
      X509Certificate certificate =
          TlsIdentityStore.certificate(response.getDeviceCertificate().toByteArray());
      if (!certificate.getPublicKey().equals(tlsKey.getPublic())) {
        throw new GeneralSecurityException("it certifies another key than this device's");
      }
      tlsStore.save(new TlsIdentity(tlsKey.getPrivate(), certificate));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "the server's device certificate is unusable: "
              + e.getMessage()
              + " (does the server run with modelfleet.agent-tls.mode=mutual?)",
          e);
    }
    return response;
  }
}
