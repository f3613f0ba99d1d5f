package dev.modelfleet.server.agentapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Signatures;
import io.agroal.api.AgroalDataSource;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
class EnrollTest {

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

  @Test
  void enrollsWithTokenLabelsAndSignedRootMetadata() throws Exception {
    String token = Fixtures.enrollmentToken(Map.of("site", "lab", "tier", "edge"), 2);

    EnrollResponse response = agent.enroll(token);

    assertEquals(Map.of("site", "lab", "tier", "edge"), response.getLabelsMap());
    assertTrue(response.getDeviceCredential().startsWith(response.getDeviceId() + "."));
    var root = Signatures.verifiedRoot(response.getRootMetadata(), Signatures.pinnedRootKey());
    assertEquals(1, root.getVersion());
    assertEquals(3, root.getKeysCount());
    assertEquals(
        java.util.List.of("root", "targets", "director"),
        root.getRolesList().stream().map(r -> r.getRole()).toList());
    assertEquals(0, response.getRootHistoryCount(), "no earlier root version");
    Api.admin().get("/api/v1/devices/" + response.getDeviceId()).then().statusCode(200);
  }

  @Test
  void unknownTokenIsDenied() {
    assertStatus(Status.Code.PERMISSION_DENIED, "unknown", () -> agent.enroll("no-such-token"));
  }

  @Test
  void usedUpTokenIsDenied() throws Exception {
    String token = Fixtures.enrollmentToken(Map.of(), 1);
    agent.enroll(token);
    assertStatus(Status.Code.PERMISSION_DENIED, "used up", () -> agent.enroll(token));
  }

  /**
   * Enrollments with one token no longer queue on its row lock for their whole transaction, so the
   * count must still hold when they race: exactly maxUses devices get in, the rest are told why.
   */
  @Test
  void racingEnrollmentsNeverOvershootTheTokensUses() throws Exception {
    var created = Fixtures.enrollmentTokenCreated(Map.of(), 5);
    String token = created.getString("token");
    var pool = java.util.concurrent.Executors.newFixedThreadPool(12);
    try {
      var attempts = new java.util.ArrayList<java.util.concurrent.Future<String>>();
      for (int i = 0; i < 24; i++) {
        attempts.add(
            pool.submit(
                () -> {
                  try {
                    return "enrolled " + agent.enroll(token).getDeviceId();
                  } catch (StatusRuntimeException e) {
                    return e.getStatus().getCode() + " " + e.getStatus().getDescription();
                  }
                }));
      }
      java.util.List<String> outcomes = new java.util.ArrayList<>();
      for (var attempt : attempts) {
        outcomes.add(attempt.get(60, java.util.concurrent.TimeUnit.SECONDS));
      }
      assertEquals(
          5, outcomes.stream().filter(o -> o.startsWith("enrolled ")).count(), outcomes.toString());
      assertTrue(
          outcomes.stream()
              .filter(o -> !o.startsWith("enrolled "))
              .allMatch(o -> o.startsWith("PERMISSION_DENIED") && o.contains("used up")),
          outcomes.toString());
    } finally {
      pool.shutdownNow();
    }
    String id = created.getString("enrollmentToken.id");
    try (Connection connection = dataSource.getConnection();
        PreparedStatement devices =
            connection.prepareStatement(
                "select count(*) from devices where enrollment_token_id = ?::uuid");
        PreparedStatement uses =
            connection.prepareStatement("select uses from enrollment_tokens where id = ?::uuid")) {
      devices.setString(1, id);
      uses.setString(1, id);
      try (var rows = devices.executeQuery();
          var used = uses.executeQuery()) {
        rows.next();
        used.next();
        assertEquals(5, rows.getInt(1), "devices enrolled with the token");
        assertEquals(5, used.getInt(1), "uses counted on the token");
      }
    }
  }

  @Test
  void revokedTokenIsDenied() throws Exception {
    var created = Fixtures.enrollmentTokenCreated(Map.of(), 5);
    Api.admin()
        .post("/api/v1/enrollment-tokens/" + created.getString("enrollmentToken.id") + "/revoke")
        .then()
        .statusCode(200);
    assertStatus(
        Status.Code.PERMISSION_DENIED, "revoked", () -> agent.enroll(created.getString("token")));
  }

  @Test
  void expiredTokenIsDenied() throws Exception {
    var created = Fixtures.enrollmentTokenCreated(Map.of(), 5);
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "update enrollment_tokens set expires_at = now() - interval '1 minute' where id = ?::uuid")) {
      s.setString(1, created.getString("enrollmentToken.id"));
      s.executeUpdate();
    }
    assertStatus(
        Status.Code.PERMISSION_DENIED, "expired", () -> agent.enroll(created.getString("token")));
  }

  @Test
  void badPublicKeyIsInvalidArgumentAndUsesNothing() {
    var created = Fixtures.enrollmentTokenCreated(Map.of(), 1);
    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        "Ed25519",
        () -> agent.enroll(created.getString("token"), new byte[] {1, 2, 3}));
    String id = created.getString("enrollmentToken.id");
    Map<String, Object> listed =
        Api.listAll("/api/v1/enrollment-tokens", 1000).stream()
            .filter(t -> id.equals(t.get("id")))
            .findFirst()
            .orElseThrow();
    assertEquals(0, listed.get("uses"));
  }

  static void assertStatus(Status.Code code, String detailPart, ThrowingRunnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertTrue(e.getStatus().getDescription().contains(detailPart), e.getStatus().getDescription());
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @Test
  void unstorableNameIsInvalidAndUsesNoToken() throws Exception {
    String token = Fixtures.enrollmentToken(Map.of(), 1);
    var request =
        dev.modelfleet.protocol.agent.v1.EnrollRequest.newBuilder()
            .setEnrollmentToken(token)
            .setDevicePublicKey(
                com.google.protobuf.ByteString.copyFrom(AgentClient.newDevicePublicKey()))
            .setRequestedName("cam\u0000")
            .setHardware(AgentClient.cpuHardware())
            .build();
    var stub =
        dev.modelfleet.protocol.agent.v1.AgentServiceGrpc.newBlockingStub(
            io.grpc.ManagedChannelBuilder.forAddress("localhost", AgentClient.port())
                .usePlaintext()
                .build());
    var e = assertThrows(StatusRuntimeException.class, () -> stub.enroll(request));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    agent.enroll(token); // the failed attempt did not use the token up
  }
}
