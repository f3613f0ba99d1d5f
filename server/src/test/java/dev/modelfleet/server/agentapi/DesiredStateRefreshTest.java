package dev.modelfleet.server.agentapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An agent that stays connected gets its document re-signed before it expires. */
@QuarkusTest
@TestProfile(DesiredStateRefreshTest.ShortTtl.class)
class DesiredStateRefreshTest {

  public static class ShortTtl implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("modelfleet.desired-state-ttl", "4s");
    }
  }

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
  void heartbeatPastHalfLifeBringsAFreshDocument() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    var published = Fixtures.publishedClassifier(71);
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    stream.next(); // config
    SyncTest.AssignmentTestSupport.assign(published, device.getDeviceId());
    DesiredState first = DesiredState.parseFrom(nextDesired(stream).getPayload());
    assertEquals(1, first.getGeneration());

    Thread.sleep(2500); // past half of the 4 s lifetime, while connected all along
    stream.send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()).build());

    DesiredState fresh = DesiredState.parseFrom(nextDesired(stream).getPayload());
    assertEquals(2, fresh.getGeneration());
    assertTrue(fresh.getExpiresAtMs() > first.getExpiresAtMs());
    assertEquals(first.getModelsList(), fresh.getModelsList());
  }

  private static dev.modelfleet.protocol.agent.v1.SignedEnvelope nextDesired(SyncStream stream)
      throws InterruptedException {
    ServerMessage message = stream.next();
    while (!message.hasDesiredState()) {
      message = stream.next();
    }
    return message.getDesiredState();
  }
}
