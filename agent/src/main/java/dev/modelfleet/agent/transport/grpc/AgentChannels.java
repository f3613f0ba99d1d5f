package dev.modelfleet.agent.transport.grpc;

import dev.modelfleet.agent.tls.CipherPreference;
import dev.modelfleet.agent.tls.TlsIdentity;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/** The one channel to the control plane, tuned for large artifact downloads. */
public final class AgentChannels {

  /** A wide HTTP/2 window keeps a 100 MB download from stalling on window updates. */
  static final int FLOW_CONTROL_WINDOW = 16 << 20;

  static final int MAX_INBOUND_MESSAGE = 8 << 20;

  private AgentChannels() {}

  /** Plaintext, for a server running with modelfleet.agent-tls.mode=off. */
  public static ManagedChannel plaintext(String hostPort) {
    return tuned(builder(hostPort).usePlaintext());
  }

  /**
   * TLS that trusts only the fleet CA ({@code server-ca}) and checks the server's name, presenting
   * the device certificate when there is one (Enroll comes before it). A fresh SSL context per
   * channel: a renewed certificate never rides on a resumed session of the old one.
   */
  public static ManagedChannel mutualTls(
      String hostPort, List<X509Certificate> fleetCa, TlsIdentity identity) throws SSLException {
    SslContextBuilder ssl =
        GrpcSslContexts.forClient()
            .trustManager(fleetCa.toArray(X509Certificate[]::new))
            // ChaCha20 first, as on the HTTPS path: what the agent's compiler decrypts fastest
            .ciphers(CipherPreference.SUITES, SupportedCipherSuiteFilter.INSTANCE);
    if (identity != null) {
      ssl.keyManager(identity.key(), identity.certificate());
    }
    return tuned(builder(hostPort).sslContext(ssl.build()));
  }

  private static NettyChannelBuilder builder(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return NettyChannelBuilder.forAddress(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static ManagedChannel tuned(NettyChannelBuilder builder) {
    return builder
        .flowControlWindow(FLOW_CONTROL_WINDOW)
        .maxInboundMessageSize(MAX_INBOUND_MESSAGE)
        .keepAliveTime(60, TimeUnit.SECONDS)
        .keepAliveWithoutCalls(false)
        .userAgent("modelfleet-agent")
        .build();
  }
}
