package dev.modelfleet.server.agentapi;

import static dev.modelfleet.server.support.Api.admin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.common.Secrets;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Scrape;
import io.agroal.api.AgroalDataSource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.security.KeyPair;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Enroll retried after its reply was lost (the agent's deadline passed after the server committed):
 * the same device again, never a second one, no second use of the token, and an audit entry for the
 * credential it replaced.
 */
@QuarkusTest
class EnrollRetryTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String WITHOUT_PROOF = "modelfleet_enrollments_without_key_proof_total";

  @Inject AgroalDataSource dataSource;
  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  /** What is stored for one device key and its token. */
  record Stored(List<String> deviceIds, String credentialHash, String lastSeen, int tokenUses) {}

  @Test
  void theSameRequestTwiceIsOneDeviceWhoseNewCredentialReplacesTheFirst() throws Exception {
    // one use only: a retry that took a second would be refused "used up"
    var token = Fixtures.enrollmentTokenCreated(Map.of("site", "retry"), 1);
    KeyPair key = AgentClient.newDeviceKeyPair();
    EnrollRequest request = AgentClient.signedRequest(token.getString("token"), key);

    EnrollResponse lost = agent.enroll(request);
    EnrollResponse retried = agent.enroll(request);

    assertEquals(lost.getDeviceId(), retried.getDeviceId());
    assertEquals(Map.of("site", "retry"), retried.getLabelsMap());
    assertEquals(lost.getRootMetadata(), retried.getRootMetadata());
    assertNotEquals(lost.getDeviceCredential(), retried.getDeviceCredential());
    Stored stored = stored(key, token.getString("enrollmentToken.id"));
    assertEquals(List.of(lost.getDeviceId()), stored.deviceIds());
    assertEquals(1, stored.tokenUses(), "the retry used none of the token");

    // the audit log shows the credential that replaced the first, as an admin reads it
    JsonNode audit = auditOf(lost.getDeviceId());
    assertEquals(1, audit.size(), "one entry, for the retry: " + audit);
    JsonNode entry = audit.get(0);
    assertEquals("device", entry.get("role").asText());
    assertEquals("/modelfleet.agent.v1.AgentService/Enroll", entry.get("path").asText());
    assertEquals("success", entry.get("outcome").asText());
    assertEquals(lost.getDeviceId(), entry.get("resourceId").asText());
    assertEquals(
        "enrollmentTokenId=" + token.getString("enrollmentToken.id"), entry.get("target").asText());
    assertTrue(entry.at("/requestBody/retry").asBoolean(), entry.toString());
    assertEquals(lost.getDeviceId(), entry.at("/after/id").asText());
    assertTrue(entry.at("/before/credential").asText().startsWith("unused"), entry.toString());
    assertTrue(entry.at("/after/credential").asText().contains("replaces"), entry.toString());
    assertFalse(entry.get("remoteAddress").isNull(), entry.toString());
    String written = entry.toString();
    assertFalse(written.contains(secretOf(retried)), "the new credential's secret is written");
    assertFalse(written.contains(secretOf(lost)), "the old credential's secret is written");

    SyncStream first = agent.sync(lost.getDeviceCredential());
    first.hello();
    Throwable ended = first.awaitEnd();
    assertEquals(Status.Code.UNAUTHENTICATED, Status.fromThrowable(ended).getCode());
    SyncStream second = agent.sync(retried.getDeviceCredential());
    second.hello();
    assertEquals(ServerMessage.KindCase.CONFIG, second.next().getKindCase());
    second.cancel();
  }

  @Test
  void withProofsNotRequiredAKeyNeverSeenEnrollsWithoutOne() throws Exception {
    // modelfleet.enrollment.require-key-proof is off by default, so agents from before the proof
    // still enroll (on: KeyProofRequiredTest)
    var token = Fixtures.enrollmentTokenCreated(Map.of(), 1);
    KeyPair key = AgentClient.newDeviceKeyPair();
    EnrollRequest unproven =
        AgentClient.signedRequest(token.getString("token"), key).toBuilder()
            .clearDeviceKeyProof()
            .build();
    Scrape before = Scrape.server();

    EnrollResponse enrolled = agent.enroll(unproven);

    Stored stored = stored(key, token.getString("enrollmentToken.id"));
    assertEquals(List.of(enrolled.getDeviceId()), stored.deviceIds());
    assertEquals(1, stored.tokenUses());
    assertEquals(
        1,
        Scrape.server().sum(WITHOUT_PROOF) - before.sum(WITHOUT_PROOF),
        "counted, so operators see who the setting would refuse");
    before = Scrape.server();
    agent.enroll(
        AgentClient.signedRequest(
            Fixtures.enrollmentToken(Map.of(), 1), AgentClient.newDeviceKeyPair()));
    assertEquals(0, Scrape.server().sum(WITHOUT_PROOF) - before.sum(WITHOUT_PROOF));
    assertEquals(0, auditOf(enrolled.getDeviceId()).size(), "a first enrollment is the device row");
  }

  @Test
  void aRetryAfterTheDeviceConnectedIsAlreadyExistsAndChangesNothing() throws Exception {
    var token = Fixtures.enrollmentTokenCreated(Map.of(), 2);
    KeyPair key = AgentClient.newDeviceKeyPair();
    EnrollRequest request = AgentClient.signedRequest(token.getString("token"), key);
    EnrollResponse enrolled = agent.enroll(request);
    SyncStream sync = agent.sync(enrolled.getDeviceCredential());
    sync.hello();
    assertEquals(ServerMessage.KindCase.CONFIG, sync.next().getKindCase());
    sync.cancel();
    Stored before = stored(key, token.getString("enrollmentToken.id"));

    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> agent.enroll(request));

    assertEquals(Status.Code.ALREADY_EXISTS, refused.getStatus().getCode());
    String reason = refused.getStatus().getDescription();
    assertTrue(reason.contains("connected since"), reason);
    assertTrue(reason.contains("decommission") && reason.contains("new key pair"), reason);
    assertEquals(before, stored(key, token.getString("enrollmentToken.id")));
    SyncStream again = agent.sync(enrolled.getDeviceCredential());
    again.hello();
    assertEquals(ServerMessage.KindCase.CONFIG, again.next().getKindCase(), "credential kept");
    again.cancel();
  }

  @Test
  void aRetryWithoutProofOrWithAnotherKeysProofIsRefusedAndChangesNothing() throws Exception {
    var token = Fixtures.enrollmentTokenCreated(Map.of(), 3);
    String secret = token.getString("token");
    KeyPair key = AgentClient.newDeviceKeyPair();
    EnrollResponse enrolled = agent.enroll(AgentClient.signedRequest(secret, key));
    Stored before = stored(key, token.getString("enrollmentToken.id"));
    byte[] publicKey = key.getPublic().getEncoded();

    EnrollRequest forged =
        AgentClient.signedRequest(
            secret, publicKey, AgentClient.newDeviceKeyPair().getPrivate(), new byte[0]);
    EnrollRequest unproven = forged.toBuilder().clearDeviceKeyProof().build();
    EnrollRequest otherToken =
        AgentClient.signedRequest(
            Fixtures.enrollmentToken(Map.of(), 1), publicKey, key.getPrivate(), new byte[0]);

    assertAlreadyExists("does not verify", forged);
    assertAlreadyExists("no device_key_proof", unproven);
    assertAlreadyExists("another enrollment token", otherToken);
    assertEquals(before, stored(key, token.getString("enrollmentToken.id")));
    SyncStream sync = agent.sync(enrolled.getDeviceCredential());
    sync.hello();
    assertEquals(ServerMessage.KindCase.CONFIG, sync.next().getKindCase(), "credential kept");
    sync.cancel();
  }

  @Test
  void aNewKeyWithAProofThatDoesNotVerifyIsRefusedAndUsesNoToken() throws Exception {
    var token = Fixtures.enrollmentTokenCreated(Map.of(), 1);
    KeyPair key = AgentClient.newDeviceKeyPair();
    EnrollRequest request =
        AgentClient.signedRequest(token.getString("token"), key).toBuilder()
            .setDeviceKeyProof(ByteString.copyFrom(new byte[64]))
            .build();

    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> agent.enroll(request));

    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
    assertTrue(refused.getStatus().getDescription().contains("device_key_proof"));
    assertEquals(
        new Stored(List.of(), null, null, 0), stored(key, token.getString("enrollmentToken.id")));
  }

  @Test
  void concurrentDuplicateRequestsMakeOneDevice() throws Exception {
    var token = Fixtures.enrollmentTokenCreated(Map.of(), 1);
    KeyPair key = AgentClient.newDeviceKeyPair();
    EnrollRequest request = AgentClient.signedRequest(token.getString("token"), key);
    int attempts = 8;
    ExecutorService pool = Executors.newFixedThreadPool(attempts);
    List<EnrollResponse> answers = new ArrayList<>();
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<EnrollResponse>> calls = new ArrayList<>();
      for (int i = 0; i < attempts; i++) {
        calls.add(
            pool.submit(
                () -> {
                  start.await();
                  return agent.enroll(request);
                }));
      }
      start.countDown();
      for (var call : calls) {
        answers.add(call.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }

    Set<String> ids = answers.stream().map(EnrollResponse::getDeviceId).collect(Collectors.toSet());
    assertEquals(1, ids.size(), ids.toString());
    Stored stored = stored(key, token.getString("enrollmentToken.id"));
    assertEquals(List.copyOf(ids), stored.deviceIds());
    assertEquals(1, stored.tokenUses());
    List<String> working =
        answers.stream()
            .map(EnrollResponse::getDeviceCredential)
            .filter(c -> Secrets.matches(c.substring(c.indexOf('.') + 1), stored.credentialHash()))
            .toList();
    assertEquals(1, working.size(), "exactly one of the answers' credentials is the device's");
    SyncStream sync = agent.sync(working.get(0));
    sync.hello();
    assertEquals(ServerMessage.KindCase.CONFIG, sync.next().getKindCase());
    sync.cancel();
  }

  private static String secretOf(EnrollResponse enrolled) {
    String credential = enrolled.getDeviceCredential();
    return credential.substring(credential.indexOf('.') + 1);
  }

  /** The audit log's entries whose actor is the device, as an admin reads them. */
  private static JsonNode auditOf(String deviceId) throws Exception {
    return JSON.readTree(
        admin()
            .queryParam("actor", "device:" + deviceId)
            .get("/api/v1/audit")
            .then()
            .statusCode(200)
            .extract()
            .asString());
  }

  private void assertAlreadyExists(String reasonPart, EnrollRequest request) {
    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> agent.enroll(request));
    assertEquals(Status.Code.ALREADY_EXISTS, refused.getStatus().getCode());
    assertTrue(
        refused.getStatus().getDescription().contains(reasonPart),
        refused.getStatus().getDescription());
  }

  private Stored stored(KeyPair key, String tokenId) throws Exception {
    try (Connection c = dataSource.getConnection();
        PreparedStatement devices =
            c.prepareStatement(
                "select id, credential_hash, last_seen_at from devices where public_key = ?"
                    + " order by enrolled_at");
        PreparedStatement token =
            c.prepareStatement("select uses from enrollment_tokens where id = ?::uuid")) {
      devices.setBytes(1, key.getPublic().getEncoded());
      token.setString(1, tokenId);
      List<String> ids = new ArrayList<>();
      String hash = null;
      String lastSeen = null;
      try (var rows = devices.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getString(1));
          hash = rows.getString(2);
          lastSeen = rows.getString(3);
        }
      }
      try (var uses = token.executeQuery()) {
        uses.next();
        return new Stored(ids, hash, lastSeen, uses.getInt(1));
      }
    }
  }
}
