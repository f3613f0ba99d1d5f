package dev.modelfleet.server.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.tls.CipherPreference;
import dev.modelfleet.agent.tls.DeviceTlsContext;
import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTPS artifact path under mutual TLS, over real sockets with real certificates: the port the
 * Sync stream announces serves a device its own artifacts (and resumes with Range), and refuses a
 * client without a certificate, with another device's, with a foreign one, and a revoked device.
 */
@QuarkusTest
@TestProfile(MutualTlsTest.Mutual.class)
class HttpsArtifactPathTest {

  X509Certificate ca;

  record Device(String id, String credential, KeyPair key, X509Certificate certificate) {}

  @BeforeEach
  void fetchTheFleetCaAsAnOperatorWould() {
    String pem =
        Api.admin().get("/api/v1/trust/fleet-ca.pem").then().statusCode(200).extract().asString();
    ca =
        FleetCa.parseCertificate(
            Pem.decode("CERTIFICATE", pem.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void aDeviceDownloadsItsArtifactFromTheAnnouncedPortAndResumesWithRanges() throws Exception {
    Device device = enroll();
    Fixtures.Published published = Fixtures.publishedClassifier(101);
    assign(published, device.id());
    int port = announcedHttpsPort(device);
    assertTrue(port > 0, "the Sync stream announces the HTTPS artifact port");

    HttpClient client = client(device.key(), device.certificate());
    HttpResponse<byte[]> whole = get(client, port, published.sha256(), device.credential(), null);
    assertEquals(200, whole.statusCode());
    assertArrayEquals(published.bytes(), whole.body());

    int offset = published.bytes().length / 3;
    HttpResponse<byte[]> rest =
        get(client, port, published.sha256(), device.credential(), "bytes=" + offset + "-");
    assertEquals(206, rest.statusCode());
    assertEquals(
        "bytes " + offset + "-" + (published.bytes().length - 1) + "/" + published.bytes().length,
        rest.headers().firstValue("Content-Range").orElse(""));
    assertArrayEquals(
        Arrays.copyOfRange(published.bytes(), offset, published.bytes().length), rest.body());

    // a closed range (an agent under a download budget) gets those bytes and no more
    HttpResponse<byte[]> some =
        get(
            client,
            port,
            published.sha256(),
            device.credential(),
            "bytes=" + offset + "-" + (offset + 99));
    assertEquals(206, some.statusCode());
    assertEquals(
        "bytes " + offset + "-" + (offset + 99) + "/" + published.bytes().length,
        some.headers().firstValue("Content-Range").orElse(""));
    assertArrayEquals(Arrays.copyOfRange(published.bytes(), offset, offset + 100), some.body());

    HttpResponse<byte[]> beyond =
        get(
            client,
            port,
            published.sha256(),
            device.credential(),
            "bytes=" + published.bytes().length + "-");
    assertProblem(beyond, 416, "offset-out-of-range", "outside the artifact");
  }

  @Test
  void theServerFollowsTheAgentsCipherOrderAndAnAesOnlyServerStillConnects() throws Exception {
    Device device = enroll();
    int port = announcedHttpsPort(device);
    TlsIdentity identity = new TlsIdentity(device.key().getPrivate(), device.certificate());
    // the agent runs on the JVM's quick compiler only, where ChaCha20 decrypts about twice as
    // fast as AES-GCM, and offers it first there: the server (BoringSSL here) must follow the
    // agent's order, whichever it is
    SSLSocketFactory agentTls = DeviceTlsContext.socketFactory(List.of(ca), identity);
    assertEquals(
        "TLS_CHACHA20_POLY1305_SHA256",
        handshake(CipherPreference.preferring(agentTls, CipherPreference.order(true)), port));
    assertEquals(
        "TLS_AES_128_GCM_SHA256",
        handshake(CipherPreference.preferring(agentTls, CipherPreference.order(false)), port));
    // a server that allows AES-GCM only still gets a connection
    try (SSLServerSocket aesOnly =
        (SSLServerSocket) serverContext().getServerSocketFactory().createServerSocket(0)) {
      aesOnly.setEnabledCipherSuites(new String[] {"TLS_AES_128_GCM_SHA256"});
      Thread accept =
          new Thread(
              () -> {
                try (SSLSocket accepted = (SSLSocket) aesOnly.accept()) {
                  accepted.startHandshake();
                } catch (java.io.IOException ignored) {
                  // the client's assertion says what went wrong
                }
              });
      accept.start();
      assertEquals(
          "TLS_AES_128_GCM_SHA256",
          handshake(
              DeviceTlsContext.socketFactory(List.of(serverCertificate), identity),
              aesOnly.getLocalPort()));
      accept.join(10_000);
    }
  }

  private X509Certificate serverCertificate;

  /** A server identity of its own, self-signed, for the AES-only server above. */
  private SSLContext serverContext() throws Exception {
    KeyPair key = FleetCa.newP256KeyPair();
    Instant now = Instant.now();
    serverCertificate =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        new X500Name("CN=localhost"),
                        java.math.BigInteger.ONE,
                        Date.from(now.minusSeconds(60)),
                        Date.from(now.plusSeconds(3600)),
                        new X500Name("CN=localhost"),
                        key.getPublic())
                    .addExtension(
                        org.bouncycastle.asn1.x509.Extension.subjectAlternativeName,
                        false,
                        new org.bouncycastle.asn1.x509.GeneralNames(
                            new org.bouncycastle.asn1.x509.GeneralName(
                                org.bouncycastle.asn1.x509.GeneralName.dNSName, "localhost")))
                    .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry(
        "server", key.getPrivate(), new char[0], new X509Certificate[] {serverCertificate});
    KeyManagerFactory keyManagers =
        KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keyManagers.init(keys, new char[0]);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers.getKeyManagers(), null, null);
    return context;
  }

  private static String handshake(SSLSocketFactory factory, int port) throws Exception {
    try (SSLSocket socket = (SSLSocket) factory.createSocket("localhost", port)) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      return socket.getSession().getCipherSuite();
    }
  }

  @Test
  void aClientWithoutACertificateIsRefused() throws Exception {
    Device device = enroll();
    Fixtures.Published published = Fixtures.publishedClassifier(102);
    assign(published, device.id());
    int port = announcedHttpsPort(device);
    HttpClient anonymous = client(null, null);
    assertProblem(
        get(anonymous, port, published.sha256(), device.credential(), null),
        401,
        "unauthenticated",
        "no client certificate");
  }

  @Test
  void anotherDevicesCertificateGetsNeitherItsArtifactNorTheOthers() throws Exception {
    Device owner = enroll();
    Device other = enroll();
    Fixtures.Published published = Fixtures.publishedClassifier(103);
    assign(published, owner.id());
    int port = announcedHttpsPort(owner);
    HttpClient asOther = client(other.key(), other.certificate());
    // the owner's credential over the other device's certificate
    assertProblem(
        get(asOther, port, published.sha256(), owner.credential(), null),
        401,
        "unauthenticated",
        "another device");
    // the other device as itself: not its artifact
    assertProblem(
        get(asOther, port, published.sha256(), other.credential(), null),
        404,
        "not-found",
        "not assigned to this device");
    // and no bearer credential at all
    assertProblem(
        get(asOther, port, published.sha256(), null, null), 401, "unauthenticated", "Bearer");
  }

  @Test
  void aRevokedDeviceIsRefused() throws Exception {
    Device device = enroll();
    Fixtures.Published published = Fixtures.publishedClassifier(104);
    assign(published, device.id());
    int port = announcedHttpsPort(device);
    HttpClient client = client(device.key(), device.certificate());
    assertEquals(
        200, get(client, port, published.sha256(), device.credential(), null).statusCode());
    Api.admin().post("/api/v1/devices/" + device.id() + "/decommission").then().statusCode(200);
    assertProblem(
        get(client, port, published.sha256(), device.credential(), null),
        401,
        "unauthenticated",
        "revoked");
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    Device device = enroll();
    Fixtures.Published published = Fixtures.publishedClassifier(105);
    assign(published, device.id());
    int port = announcedHttpsPort(device);
    KeyPair otherCa = FleetCa.newP256KeyPair();
    Instant now = Instant.now();
    X509Certificate forged =
        new JcaX509CertificateConverter()
            .getCertificate(
                new JcaX509v3CertificateBuilder(
                        new X500Name(ca.getSubjectX500Principal().getName()),
                        device.certificate().getSerialNumber(),
                        Date.from(now.minusSeconds(60)),
                        Date.from(now.plusSeconds(3600)),
                        new X500Name("CN=" + device.id()),
                        device.key().getPublic())
                    .build(
                        new JcaContentSignerBuilder("SHA256withECDSA")
                            .build(otherCa.getPrivate())));
    assertProblem(
        get(client(device.key(), forged), port, published.sha256(), device.credential(), null),
        401,
        "unauthenticated",
        "not issued by this fleet's CA");
  }

  // ---------------------------------------------------------------------------------------

  private static void assertProblem(
      HttpResponse<byte[]> response, int status, String code, String detail) {
    String body = new String(response.body(), StandardCharsets.UTF_8);
    assertEquals(status, response.statusCode(), body);
    assertEquals(
        "application/problem+json", response.headers().firstValue("Content-Type").orElse(""));
    assertTrue(body.contains("\"code\":\"" + code + "\""), body);
    assertTrue(body.contains(detail), "expected '" + detail + "' in " + body);
  }

  private static HttpResponse<byte[]> get(
      HttpClient client, int port, String sha256, String credential, String range)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
            URI.create("https://localhost:" + port + "/agent/v1/artifacts/" + sha256));
    if (credential != null) {
      request.header("Authorization", "Bearer " + credential);
    }
    if (range != null) {
      request.header("Range", range);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /** A client that trusts the fleet CA only and presents {@code certificate} (none when null). */
  private HttpClient client(KeyPair key, X509Certificate certificate) throws Exception {
    KeyStore trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("fleet-ca", ca);
    TrustManagerFactory trust =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(trusted);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(
        key == null
            ? null
            : new KeyManager[] {new TlsAgent.Presenting(key.getPrivate(), certificate)},
        trust.getTrustManagers(),
        null);
    // HTTP/1.1: the port speaks nothing else; a fresh client per identity, no shared sessions
    return HttpClient.newBuilder().sslContext(context).version(HttpClient.Version.HTTP_1_1).build();
  }

  private int announcedHttpsPort(Device device) throws Exception {
    try (TlsAgent agent =
        TlsAgent.presenting(ca, device.key().getPrivate(), device.certificate())) {
      SyncStream sync = SyncStream.open(agent.async(device.credential()));
      sync.hello();
      ServerMessage first = sync.next();
      assertEquals(ServerMessage.KindCase.CONFIG, first.getKindCase());
      SyncConfig config = first.getConfig();
      assertEquals(0, config.getHttpPort(), "no plaintext port is announced under mutual TLS");
      sync.cancel();
      return config.getHttpsPort();
    }
  }

  private Device enroll() throws Exception {
    KeyPair key = FleetCa.newP256KeyPair();
    try (TlsAgent agent = TlsAgent.anonymous(ca)) {
      EnrollResponse response =
          agent.enroll(
              Fixtures.enrollmentToken(Map.of(), 1), TlsAgent.csr(key, key.getPrivate(), "device"));
      return new Device(
          response.getDeviceId(),
          response.getDeviceCredential(),
          key,
          FleetCa.parseCertificate(response.getDeviceCertificate().toByteArray()));
    }
  }

  private static void assign(Fixtures.Published p, String deviceId) {
    Api.adminJson()
        .body(Map.of("deviceId", deviceId))
        .post("/api/v1/models/" + p.model() + "/versions/" + p.version() + "/assignments")
        .then()
        .statusCode(200);
  }
}
