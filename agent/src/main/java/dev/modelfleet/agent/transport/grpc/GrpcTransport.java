package dev.modelfleet.agent.transport.grpc;

import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.download.ArtifactSource;
import dev.modelfleet.agent.identity.DeviceIdentity;
import dev.modelfleet.agent.identity.IdentityStore;
import dev.modelfleet.agent.session.ControlPlane;
import dev.modelfleet.agent.tls.CertificateAuthority;
import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * The agent's one gRPC connection to its control plane, plaintext or mutual TLS, and the adapters
 * the core uses over it: the Sync session, FetchArtifact, RenewCertificate and Enroll. The
 * connection can be exchanged under them (after enrollment, which has no client certificate yet,
 * and after each renewal); calls already running finish on the old one.
 */
public final class GrpcTransport implements AutoCloseable {

  private final String server;
  private final List<X509Certificate> fleetCa;
  private final SwitchableChannel channel;
  private final ServerRevision revision = new ServerRevision();

  /**
   * @param server host:port of the control plane's gRPC port
   * @param fleetCa the fleet CA the server's certificate must chain to; null for plaintext
   */
  public GrpcTransport(String server, List<X509Certificate> fleetCa) throws SSLException {
    this.server = server;
    this.fleetCa = fleetCa;
    this.channel =
        new SwitchableChannel(
            fleetCa == null
                ? AgentChannels.plaintext(server)
                : AgentChannels.mutualTls(server, fleetCa, null));
  }

  /** From now on new calls present {@code identity}'s certificate (mutual TLS only). */
  public void present(TlsIdentity identity) throws SSLException {
    channel.replace(AgentChannels.mutualTls(server, fleetCa, identity));
  }

  /**
   * Enrolls the device, retrying until the server answers. With {@code tlsStore}, also asks for a
   * device certificate and stores it with its key.
   *
   * @throws ConfigException when the server refuses the token or the request
   */
  public DeviceIdentity enroll(
      IdentityStore identities,
      RootPin pin,
      TlsIdentityStore tlsStore,
      String token,
      String name,
      Supplier<HardwareProfile> hardware)
      throws ConfigException, IOException, VerificationException, InterruptedException {
    return new GrpcEnrollment(AgentServiceGrpc.newBlockingStub(channel), server)
        .enroll(identities, pin, tlsStore, token, name, hardware);
  }

  /** The Sync session, authenticated as {@code identity}. */
  public ControlPlane controlPlane(DeviceIdentity identity) {
    return new GrpcControlPlane(
        AgentServiceGrpc.newStub(channel).withInterceptors(credential(identity), revision));
  }

  /**
   * The protocol revision the server named when the latest Sync stream opened (1 before any, or
   * from a server that names none).
   */
  public int serverProtocol() {
    return revision.revision();
  }

  /** FetchArtifact, authenticated as {@code identity}. */
  public ArtifactSource artifacts(DeviceIdentity identity) {
    return new GrpcArtifactSource(
        AgentServiceGrpc.newBlockingStub(channel).withInterceptors(credential(identity)));
  }

  /** RenewCertificate, authenticated as {@code identity} and by the certificate presented. */
  public CertificateAuthority certificateAuthority(DeviceIdentity identity) {
    return new GrpcCertificateAuthority(
        AgentServiceGrpc.newBlockingStub(channel).withInterceptors(credential(identity)));
  }

  private static BearerCredentialInterceptor credential(DeviceIdentity identity) {
    return new BearerCredentialInterceptor(identity.credential());
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
