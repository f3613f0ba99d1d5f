package dev.modelfleet.e2e;

import java.util.Map;

/** Plan defaults the end-to-end tests, benchmarks and demo give their rollouts. */
public final class RolloutDefaults {

  private RolloutDefaults() {}

  /**
   * Every device of a wave must go active (none may fail), hold for {@code soakSeconds}, within
   * {@code timeoutSeconds} of being told.
   */
  public static Map<String, Object> everyDeviceActive(long soakSeconds, long timeoutSeconds) {
    return Map.of(
        "successThreshold",
        100,
        "failureThreshold",
        0,
        "soakSeconds",
        soakSeconds,
        "timeoutSeconds",
        timeoutSeconds);
  }
}
