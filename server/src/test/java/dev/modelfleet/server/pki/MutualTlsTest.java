package dev.modelfleet.server.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.FetchArtifactRequest;
import dev.modelfleet.protocol.agent.v1.RenewCertificateRequest;
import dev.modelfleet.protocol.agent.v1.RenewCertificateResponse;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.agroal.api.AgroalDataSource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Mutual TLS on the agent port, over real sockets with real certificates: what a device can do with
 * its certificate, and what it cannot do with another device's, a revoked, an expired or a foreign
 * one.
 */
@QuarkusTest
@TestProfile(MutualTlsTest.Mutual.class)
class MutualTlsTest {

  public static class Mutual implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("modelfleet.agent-tls.mode", "mutual");
    }
  }

  @Inject DeviceCertificates certificates;
  @Inject AgroalDataSource dataSource;

  X509Certificate ca;

  /** A device enrolled over TLS: its TLS key, certificate and credential. */
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
  void enrollmentIssuesACertificateForTheDevicesOwnKey() throws Exception {
    Device device = enroll();
    X509Certificate cert = device.certificate();
    assertEquals(device.key().getPublic(), cert.getPublicKey());
    assertEquals("CN=" + device.id(), cert.getSubjectX500Principal().getName());
    assertEquals(
        List.of(List.of(6, DeviceCertificates.deviceUri(UUID.fromString(device.id())))),
        cert.getSubjectAlternativeNames().stream().map(List::copyOf).toList());
    assertTrue(cert.getExtendedKeyUsage().contains("1.3.6.1.5.5.7.3.2"), "clientAuth");
    cert.verify(ca.getPublicKey());
    Duration lifetime = Duration.between(Instant.now(), cert.getNotAfter().toInstant());
    assertTrue(
        lifetime.compareTo(Duration.ofDays(29)) > 0 && lifetime.compareTo(Duration.ofDays(31)) < 0,
        "30 days by default, was " + lifetime);

    try (TlsAgent agent = TlsAgent.presenting(ca, device.key().getPrivate(), cert)) {
      SyncStream sync = openSync(agent, device.credential());
      ServerMessage first = sync.next();
      assertEquals(ServerMessage.KindCase.CONFIG, first.getKindCase());
      assertEquals(0, first.getConfig().getHttpPort(), "no plaintext artifact path is announced");
      sync.cancel();
    }
  }

  @Test
  void enrollmentWithoutACertificateRequestIsRefused() throws Exception {
    try (TlsAgent agent = TlsAgent.anonymous(ca)) {
      var e =
          assertThrows(
              StatusRuntimeException.class,
              () -> agent.enroll(Fixtures.enrollmentToken(Map.of(), 1), null));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
      assertTrue(
          e.getStatus().getDescription().contains("certificate_request is required"),
          e.getStatus().getDescription());
    }
  }

  @Test
  void malformedOrForgedRequestsAreRefusedAndNothingIsStored() throws Exception {
    String token = Fixtures.enrollmentToken(Map.of(), 1);
    KeyPair claimed = FleetCa.newP256KeyPair();
    KeyPair other = FleetCa.newP256KeyPair();
    var before = stored();
    try (TlsAgent agent = TlsAgent.anonymous(ca)) {
      for (byte[] bad :
          List.of(
              "not a certificate request".getBytes(StandardCharsets.US_ASCII),
              TlsAgent.csr(claimed, other.getPrivate(), "device"), // signed by another key
              rsaRequest())) {
        var e = assertThrows(StatusRuntimeException.class, () -> agent.enroll(token, bad));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(
            e.getStatus().getDescription().contains("certificate_request"),
            e.getStatus().getDescription());
      }
      assertEquals(before, stored());
      // the single-use token was not spent by the refusals
      EnrollResponse ok =
          agent.enroll(token, TlsAgent.csr(claimed, claimed.getPrivate(), "device"));
      assertNotNull(FleetCa.parseCertificate(ok.getDeviceCertificate().toByteArray()));
    }
  }

  @Test
  void aRetriedEnrollmentGetsACertificateForItsRequestAndTheLostOneIsRevoked() throws Exception {
    String token = Fixtures.enrollmentToken(Map.of(), 1);
    KeyPair deviceKey = AgentClient.newDeviceKeyPair();
    KeyPair tlsKey = FleetCa.newP256KeyPair();
    EnrollResponse lost;
    EnrollResponse retried;
    try (TlsAgent agent = TlsAgent.anonymous(ca)) {
      // as the agent does: each attempt a new request (ECDSA signs afresh) for the one TLS key
      lost = agent.enroll(retryable(token, deviceKey, tlsKey));
      retried = agent.enroll(retryable(token, deviceKey, tlsKey));
    }
    assertEquals(lost.getDeviceId(), retried.getDeviceId());
    X509Certificate unseen = FleetCa.parseCertificate(lost.getDeviceCertificate().toByteArray());
    X509Certificate issued = FleetCa.parseCertificate(retried.getDeviceCertificate().toByteArray());
    assertNotEquals(unseen.getSerialNumber(), issued.getSerialNumber());
    assertEquals(tlsKey.getPublic(), issued.getPublicKey());

    Device device =
        new Device(retried.getDeviceId(), retried.getDeviceCredential(), tlsKey, issued);
    try (TlsAgent agent = TlsAgent.presenting(ca, tlsKey.getPrivate(), unseen)) {
      var e = assertThrows(StatusRuntimeException.class, () -> fetch(agent, device, sha256Of("x")));
      assertUnauthenticated(e, "revoked");
    }
    try (TlsAgent agent = TlsAgent.presenting(ca, tlsKey.getPrivate(), issued)) {
      SyncStream sync = openSync(agent, device.credential());
      assertEquals(ServerMessage.KindCase.CONFIG, sync.next().getKindCase());
      sync.cancel();
    }
  }

  private static EnrollRequest retryable(String token, KeyPair deviceKey, KeyPair tlsKey)
      throws Exception {
    return AgentClient.signedRequest(
        token,
        deviceKey.getPublic().getEncoded(),
        deviceKey.getPrivate(),
        TlsAgent.csr(tlsKey, tlsKey.getPrivate(), "device"));
  }

  @Test
  void aCallWithoutACertificateIsRefused() throws Exception {
    Device device = enroll();
    try (TlsAgent agent = TlsAgent.anonymous(ca)) {
      SyncStream sync = openSync(agent, device.credential());
      assertUnauthenticated(sync.awaitEnd(), "no client certificate");
    }
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() throws Exception {
    Device device = enroll();
    KeyPair otherCa = FleetCa.newP256KeyPair();
    Instant now = Instant.now();
    X509Certificate forged =
        new JcaX509CertificateConverter()
            .getCertificate(
                // same issuer name and serial as the real one, signed by another CA's key
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
    try (TlsAgent agent = TlsAgent.presenting(ca, device.key().getPrivate(), forged)) {
      var e = assertThrows(StatusRuntimeException.class, () -> fetch(agent, device, sha256Of("x")));
      assertUnauthenticated(e, "not issued by this fleet's CA");
    }
  }

  @Test
  void aDeviceCertificateReachesOnlyThatDevicesData() throws Exception {
    Device a = enroll();
    Device b = enroll();
    Fixtures.Published forB = Fixtures.publishedClassifier(91);
    assign(forB, b.id());
    try (TlsAgent agentA = TlsAgent.presenting(ca, a.key().getPrivate(), a.certificate())) {
      // A's certificate with B's credential: the certificate decides who is calling
      var e = assertThrows(StatusRuntimeException.class, () -> fetch(agentA, b, forB.sha256()));
      assertUnauthenticated(e, "another device");
      SyncStream asB = openSync(agentA, b.credential());
      assertUnauthenticated(asB.awaitEnd(), "another device");

      // A as itself: B's artifact is not A's to fetch, and A's stream carries no desired state
      var notFound =
          assertThrows(StatusRuntimeException.class, () -> fetch(agentA, a, forB.sha256()));
      assertEquals(Status.Code.NOT_FOUND, notFound.getStatus().getCode());
      SyncStream asA = openSync(agentA, a.credential());
      assertEquals(ServerMessage.KindCase.CONFIG, asA.next().getKindCase());
      assertEquals(
          null, asA.received.poll(1, TimeUnit.SECONDS), "B's desired state never reaches A");
      asA.cancel();
    }
    try (TlsAgent agentB = TlsAgent.presenting(ca, b.key().getPrivate(), b.certificate())) {
      byte[] bytes = fetch(agentB, b, forB.sha256());
      assertArrayEquals(forB.bytes(), bytes);
      SyncStream asB = openSync(agentB, b.credential());
      asB.next(); // config
      DesiredState state = DesiredState.parseFrom(asB.next().getDesiredState().getPayload());
      assertEquals(b.id(), state.getDeviceId());
      asB.cancel();
    }
  }

  @Test
  void decommissioningClosesTheStreamAndRevokesTheCertificateAtOnce() throws Exception {
    Device device = enroll();
    try (TlsAgent agent =
        TlsAgent.presenting(ca, device.key().getPrivate(), device.certificate())) {
      SyncStream sync = openSync(agent, device.credential());
      sync.next(); // config: the stream is up
      Api.admin().post("/api/v1/devices/" + device.id() + "/decommission").then().statusCode(200);
      assertUnauthenticated(sync.awaitEnd(), "decommissioned");
    }
    assertEquals(
        1L,
        count(
            "select count(*) from device_certificates where device_id = '"
                + device.id()
                + "' and revoked_at is not null"));
    // a fresh connection with the same certificate
    try (TlsAgent agent =
        TlsAgent.presenting(ca, device.key().getPrivate(), device.certificate())) {
      var e = assertThrows(StatusRuntimeException.class, () -> fetch(agent, device, sha256Of("x")));
      assertUnauthenticated(e, "revoked");
    }
  }

  @Test
  void renewalIssuesANewCertificateThatIsAccepted() throws Exception {
    Device device = enroll();
    KeyPair next = FleetCa.newP256KeyPair();
    RenewCertificateResponse renewed;
    try (TlsAgent agent =
        TlsAgent.presenting(ca, device.key().getPrivate(), device.certificate())) {
      renewed =
          agent
              .blocking(device.credential())
              .renewCertificate(
                  RenewCertificateRequest.newBuilder()
                      .setCertificateRequest(
                          ByteString.copyFrom(TlsAgent.csr(next, next.getPrivate(), device.id())))
                      .build());
      // a request naming another device is a bug on the agent's side
      var e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  agent
                      .blocking(device.credential())
                      .renewCertificate(
                          RenewCertificateRequest.newBuilder()
                              .setCertificateRequest(
                                  ByteString.copyFrom(
                                      TlsAgent.csr(
                                          next, next.getPrivate(), UUID.randomUUID().toString())))
                              .build()));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    }
    X509Certificate fresh = FleetCa.parseCertificate(renewed.getDeviceCertificate().toByteArray());
    assertEquals(next.getPublic(), fresh.getPublicKey());
    assertEquals("CN=" + device.id(), fresh.getSubjectX500Principal().getName());
    assertEquals(fresh.getNotAfter().getTime(), renewed.getNotAfterMs());
    assertNotEquals(device.certificate().getSerialNumber(), fresh.getSerialNumber());
    try (TlsAgent agent = TlsAgent.presenting(ca, next.getPrivate(), fresh)) {
      SyncStream sync = openSync(agent, device.credential());
      assertEquals(ServerMessage.KindCase.CONFIG, sync.next().getKindCase());
      sync.cancel();
    }
  }

  @Test
  void anExpiredCertificateIsRefused() throws Exception {
    Device device = enroll();
    Instant now = Instant.now();
    X509Certificate expired =
        certificates.issue(
            UUID.fromString(device.id()),
            device.key().getPublic(),
            now.minus(Duration.ofDays(31)),
            now.minusSeconds(1));
    try (TlsAgent agent = TlsAgent.presenting(ca, device.key().getPrivate(), expired)) {
      var e = assertThrows(StatusRuntimeException.class, () -> fetch(agent, device, sha256Of("x")));
      assertUnauthenticated(e, "expired");
    }
  }

  @Test
  void thePlaintextHttpArtifactPathIsClosed() throws Exception {
    Device device = enroll();
    Fixtures.Published published = Fixtures.publishedClassifier(93);
    assign(published, device.id());
    io.restassured.RestAssured.given()
        .header("Authorization", "Bearer " + device.credential())
        .get("/agent/v1/artifacts/" + published.sha256())
        .then()
        .statusCode(403)
        .body("detail", org.hamcrest.Matchers.containsString("FetchArtifact"));
    try (TlsAgent agent =
        TlsAgent.presenting(ca, device.key().getPrivate(), device.certificate())) {
      assertArrayEquals(published.bytes(), fetch(agent, device, published.sha256()));
    }
  }

  @Test
  void aPlaintextClientCannotReachTheTlsPort() {
    // the plaintext port is gone: a plaintext client cannot even reach Enroll
    try (AgentClient plain = new AgentClient()) {
      var e =
          assertThrows(
              StatusRuntimeException.class,
              () -> plain.enroll(Fixtures.enrollmentToken(Map.of(), 1)));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  // ---------------------------------------------------------------------------------------

  private Device enroll() throws Exception {
    KeyPair key = FleetCa.newP256KeyPair();
    try (TlsAgent agent = TlsAgent.anonymous(ca)) {
      EnrollResponse response =
          agent.enroll(
              Fixtures.enrollmentToken(Map.of(), 1), TlsAgent.csr(key, key.getPrivate(), "device"));
      assertArrayEquals(ca.getEncoded(), response.getFleetCaCertificate().toByteArray());
      return new Device(
          response.getDeviceId(),
          response.getDeviceCredential(),
          key,
          FleetCa.parseCertificate(response.getDeviceCertificate().toByteArray()));
    }
  }

  private static byte[] fetch(TlsAgent agent, Device as, String sha256) {
    var out = new java.io.ByteArrayOutputStream();
    agent
        .blocking(as.credential())
        .fetchArtifact(FetchArtifactRequest.newBuilder().setSha256(sha256).build())
        .forEachRemaining(c -> out.writeBytes(c.getData().toByteArray()));
    return out.toByteArray();
  }

  private static void assign(Fixtures.Published p, String deviceId) {
    Api.adminJson()
        .body(Map.of("deviceId", deviceId))
        .post("/api/v1/models/" + p.model() + "/versions/" + p.version() + "/assignments")
        .then()
        .statusCode(200);
  }

  private static String sha256Of(String text) throws Exception {
    return java.util.HexFormat.of()
        .formatHex(
            java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] rsaRequest() throws Exception {
    var generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair rsa = generator.generateKeyPair();
    return new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder(
            new X500Name("CN=device"), rsa.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withRSA").build(rsa.getPrivate()))
        .getEncoded();
  }

  private Map<String, Object> stored() throws Exception {
    Map<String, Object> state = new java.util.LinkedHashMap<>(Db.snapshot());
    state.put("device_certificates", count("select count(*) from device_certificates"));
    return state;
  }

  private long count(String sql) throws Exception {
    try (var c = dataSource.getConnection();
        var s = c.createStatement();
        var r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static void assertUnauthenticated(Throwable t, String reason) {
    assertNotNull(t, "the call should have failed");
    Status status = Status.fromThrowable(t);
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode(), String.valueOf(status));
    assertTrue(
        status.getDescription() != null && status.getDescription().contains(reason),
        "expected '" + reason + "' in: " + status.getDescription());
  }

  /** A Sync stream over a TLS agent, with its Hello sent. */
  private static SyncStream openSync(TlsAgent agent, String credential) {
    SyncStream stream = SyncStream.open(agent.async(credential));
    stream.hello();
    return stream;
  }
}
