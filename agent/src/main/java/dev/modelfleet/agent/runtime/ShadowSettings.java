package dev.modelfleet.agent.runtime;

/**
 * How a shadow candidate is sampled and judged, as the desired state says.
 *
 * @param comparison e.g. "cosine>=0.99" (dev.modelfleet.onnx.compare.ComparisonSpec)
 * @param sampleRate share of live requests replayed on the candidate, 0..1
 * @param maxPerSecond at most this many samples a second; 0 for no ceiling
 * @param validationSha256 the validation set replayed while the model is quiet; "" for none
 * @param idleSeconds seconds without a live request before the validation set is replayed
 */
public record ShadowSettings(
    String comparison,
    double sampleRate,
    int maxPerSecond,
    String validationSha256,
    int idleSeconds) {

  /** Idle time when the desired state gives none. */
  public static final int DEFAULT_IDLE_SECONDS = 60;

  /** Validation samples a second when the desired state sets no ceiling. */
  public static final int DEFAULT_VALIDATION_PER_SECOND = 5;

  public ShadowSettings(String comparison, double sampleRate, int maxPerSecond) {
    this(comparison, sampleRate, maxPerSecond, "", DEFAULT_IDLE_SECONDS);
  }

  public ShadowSettings {
    validationSha256 = validationSha256 == null ? "" : validationSha256;
    if (idleSeconds < 0) {
      throw new IllegalArgumentException("idle seconds must not be negative: " + idleSeconds);
    }
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException("sample rate must be between 0 and 1: " + sampleRate);
    }
    if (maxPerSecond < 0) {
      throw new IllegalArgumentException("max per second must not be negative: " + maxPerSecond);
    }
  }
}
