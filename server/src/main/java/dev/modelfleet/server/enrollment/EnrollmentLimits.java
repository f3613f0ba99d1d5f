package dev.modelfleet.server.enrollment;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * How many enrollment attempts one network address may make (MODELFLEET_ENROLLMENT_RATE_PER_SECOND,
 * MODELFLEET_ENROLLMENT_BURST; every attempt counts, good token or bad), and what every enrollment
 * must bring.
 */
@ConfigMapping(prefix = "modelfleet.enrollment")
public interface EnrollmentLimits {

  /** Sustained attempts per second per address. */
  @WithDefault("100")
  double ratePerSecond();

  /** Attempts an address may make at once before the sustained rate applies. */
  @WithDefault("200")
  int burst();

  /**
   * Whether every newly enrolled device waits for an operator's approval
   * (MODELFLEET_ENROLLMENT_REQUIRE_APPROVAL), whatever its token says. A token can also require
   * approval on its own ({@code requireApproval}); either one suffices.
   */
  @WithDefault("false")
  boolean requireApproval();

  /**
   * Whether every Enroll must carry a device_key_proof (MODELFLEET_ENROLLMENT_REQUIRE_KEY_PROOF).
   * Off, a key never seen enrolls without one, so agents from before the proof keep enrolling; on,
   * such a request is refused, and every enrollment, and so every retry, is recognized by its key.
   */
  @WithDefault("false")
  boolean requireKeyProof();
}
