package dev.modelfleet.server.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.EnrollRequest;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Scrape;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.security.KeyPair;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * With modelfleet.enrollment.require-key-proof on, an Enroll without device_key_proof (an agent
 * from before the proof) is refused with what to do, and agents that send it enroll and retry as
 * ever. Every case with the setting on is in this class: a test profile restarts Quarkus. Off (the
 * default) is EnrollRetryTest's.
 */
@QuarkusTest
@TestProfile(KeyProofRequiredTest.KeyProofRequired.class)
class KeyProofRequiredTest {

  public static class KeyProofRequired implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("modelfleet.enrollment.require-key-proof", "true");
    }
  }

  @Test
  void anEnrollWithoutProofIsRefusedWithWhatToDoAndStoresNothing() throws Exception {
    var token = Fixtures.enrollmentTokenCreated(Map.of(), 1);
    String tokenId = token.getString("enrollmentToken.id");
    KeyPair key = AgentClient.newDeviceKeyPair();
    EnrollRequest unproven =
        AgentClient.signedRequest(token.getString("token"), key).toBuilder()
            .clearDeviceKeyProof()
            .build();
    var before = Db.snapshot();
    Scrape scraped = Scrape.server();

    try (AgentClient agent = new AgentClient()) {
      StatusRuntimeException refused =
          assertThrows(StatusRuntimeException.class, () -> agent.enroll(unproven));

      assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
      String reason = refused.getStatus().getDescription();
      assertTrue(reason.contains("device_key_proof is required"), reason);
      assertTrue(reason.contains("Upgrade the agent"), reason);
      assertEquals(before, Db.snapshot(), "a refused enrollment stores nothing");
      assertEquals(0, Db.number("select uses from enrollment_tokens where id = '" + tokenId + "'"));
      assertEquals(
          1,
          Scrape.server().sum("modelfleet_enrollments_total", "reason=\"missing-key-proof\"")
              - scraped.sum("modelfleet_enrollments_total", "reason=\"missing-key-proof\""));

      // the same device, upgraded: same key, same token, now with its proof
      EnrollResponse enrolled =
          agent.enroll(AgentClient.signedRequest(token.getString("token"), key));
      assertTrue(!enrolled.getDeviceId().isEmpty());
      assertEquals(1, Db.number("select uses from enrollment_tokens where id = '" + tokenId + "'"));
    }
  }

  @Test
  void anAgentThatSendsItsProofEnrollsAndItsRetryIsTheSameDevice() throws Exception {
    var token = Fixtures.enrollmentTokenCreated(Map.of("site", "proven"), 1);
    KeyPair key = AgentClient.newDeviceKeyPair();
    EnrollRequest request = AgentClient.signedRequest(token.getString("token"), key);
    try (AgentClient agent = new AgentClient()) {
      EnrollResponse lost = agent.enroll(request);
      EnrollResponse retried = agent.enroll(request);

      assertEquals(Map.of("site", "proven"), lost.getLabelsMap());
      assertEquals(lost.getDeviceId(), retried.getDeviceId());
      assertNotEquals(lost.getDeviceCredential(), retried.getDeviceCredential());
    }
  }
}
