package dev.modelfleet.server.pki;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.Socket;
import java.security.KeyPair;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** A device over a real TLS connection: trusts the fleet CA, presents a certificate or none. */
final class TlsAgent implements AutoCloseable {

  final ManagedChannel channel;

  private TlsAgent(X509Certificate ca, PrivateKey key, X509Certificate certificate)
      throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(ca);
    if (key != null) {
      ssl.keyManager(new Presenting(key, certificate));
    }
    channel =
        NettyChannelBuilder.forAddress("localhost", AgentClient.port())
            .sslContext(ssl.build())
            .build();
  }

  static TlsAgent anonymous(X509Certificate ca) throws Exception {
    return new TlsAgent(ca, null, null);
  }

  static TlsAgent presenting(X509Certificate ca, PrivateKey key, X509Certificate certificate)
      throws Exception {
    return new TlsAgent(ca, key, certificate);
  }

  static byte[] csr(KeyPair subject, PrivateKey signer, String commonName) throws Exception {
    return new JcaPKCS10CertificationRequestBuilder(
            new X500Name("CN=" + commonName), subject.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer))
        .getEncoded();
  }

  EnrollResponse enroll(String token, byte[] certificateRequest) throws Exception {
    EnrollRequest.Builder request =
        EnrollRequest.newBuilder()
            .setEnrollmentToken(token)
            .setDevicePublicKey(ByteString.copyFrom(AgentClient.newDevicePublicKey()))
            .setRequestedName("tls-device")
            .setHardware(AgentClient.cpuHardware());
    if (certificateRequest != null) {
      request.setCertificateRequest(ByteString.copyFrom(certificateRequest));
    }
    return AgentServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .enroll(request.build());
  }

  EnrollResponse enroll(EnrollRequest request) {
    return AgentServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .enroll(request);
  }

  AgentServiceGrpc.AgentServiceBlockingStub blocking(String credential) {
    return AgentServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(credential)));
  }

  AgentServiceGrpc.AgentServiceStub async(String credential) {
    return AgentServiceGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(bearer(credential)));
  }

  private static Metadata bearer(String credential) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + credential);
    return headers;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /**
   * Always presents its one certificate, whatever issuers the server names, so that a certificate
   * from another CA really reaches the server (the JDK's own key manager would silently send none).
   */
  static final class Presenting extends X509ExtendedKeyManager {
    private final PrivateKey key;
    private final X509Certificate certificate;

    Presenting(PrivateKey key, X509Certificate certificate) {
      this.key = key;
      this.certificate = certificate;
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return "device";
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return "device";
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return new String[] {"device"};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return new X509Certificate[] {certificate};
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return key;
    }
  }
}
