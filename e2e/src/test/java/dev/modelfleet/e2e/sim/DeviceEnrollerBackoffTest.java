package dev.modelfleet.e2e.sim;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which Enroll failures the simulator retries, and how long it waits between attempts. */
class DeviceEnrollerBackoffTest {

  @Test
  void retriesWhatTheServerMayAnswerDifferentlyLaterAndNothingElse() {
    for (Status.Code code :
        new Status.Code[] {
          Status.Code.UNAVAILABLE,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.DEADLINE_EXCEEDED,
          Status.Code.ABORTED,
          Status.Code.INTERNAL
        }) {
      assertTrue(DeviceEnroller.retryable(code), code.name());
    }
    for (Status.Code code :
        new Status.Code[] {
          Status.Code.PERMISSION_DENIED, Status.Code.INVALID_ARGUMENT, Status.Code.UNAUTHENTICATED
        }) {
      assertFalse(DeviceEnroller.retryable(code), code.name());
    }
  }

  @Test
  void delaysGrowToACapWithHalfOfEachStepRandom() {
    Random random = new Random(16);
    for (int attempt = 1; attempt <= DeviceEnroller.MAX_ATTEMPTS; attempt++) {
      long step = Math.min(DeviceEnroller.MAX_DELAY_MS, DeviceEnroller.FIRST_DELAY_MS << attempt);
      Set<Long> seen = new HashSet<>();
      for (int i = 0; i < 50; i++) {
        long delay = DeviceEnroller.delayMs(attempt, random);
        assertTrue(delay >= step / 2 && delay <= step, attempt + ": " + delay);
        seen.add(delay);
      }
      assertTrue(seen.size() > 10, "devices refused together come back apart");
    }
  }
}
