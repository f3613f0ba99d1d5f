package dev.modelfleet.server.enrollment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A flood of enrollment attempts from one address is cut off before it reaches the database. */
@QuarkusTest
@TestProfile(EnrollmentFloodTest.TightLimits.class)
class EnrollmentFloodTest {

  public static class TightLimits implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of(
          "modelfleet.enrollment.burst", "5", "modelfleet.enrollment.rate-per-second", "2");
    }
  }

  @Test
  void floodIsRefusedWithResourceExhaustedAndAGoodTokenWorksAfterThePause() throws Exception {
    String token = Fixtures.enrollmentToken(Map.of(), 1);
    try (AgentClient agent = new AgentClient()) {
      var before = Db.snapshot();
      int denied = 0;
      int throttled = 0;
      for (int i = 0; i < 30; i++) {
        StatusRuntimeException refused =
            assertThrows(
                StatusRuntimeException.class, () -> agent.enroll("guess-" + Math.random()));
        if (refused.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
          denied++;
        } else {
          assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
          assertTrue(
              refused.getStatus().getDescription().contains("too many enrollment attempts"),
              refused.getStatus().getDescription());
          throttled++;
        }
      }
      assertTrue(denied >= 5 && denied <= 8, "about the burst got through: " + denied);
      assertEquals(30 - denied, throttled);
      assertEquals(before, Db.snapshot(), "refused attempts store nothing");

      StatusRuntimeException stillThrottled =
          assertThrows(StatusRuntimeException.class, () -> agent.enroll(token));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, stillThrottled.getStatus().getCode());
      Thread.sleep(1_000);
      String device = agent.enroll(token).getDeviceId();
      assertTrue(!device.isEmpty(), "a real device gets in once the flood's budget refilled");
    }
  }
}
