package dev.modelfleet.agent.runtime;

/**
 * How a shadow candidate is sampled and judged, as the desired state says.
 *
 * @param comparison e.g. "cosine>=0.99" (dev.modelfleet.onnx.compare.ComparisonSpec)
 * @param sampleRate share of live requests replayed on the candidate, 0..1
 * @param maxPerSecond at most this many samples a second; 0 for no ceiling
 */
public record ShadowSettings(String comparison, double sampleRate, int maxPerSecond) {

  public ShadowSettings {
    if (!(sampleRate >= 0 && sampleRate <= 1)) {
      throw new IllegalArgumentException("sample rate must be between 0 and 1: " + sampleRate);
    }
    if (maxPerSecond < 0) {
      throw new IllegalArgumentException("max per second must not be negative: " + maxPerSecond);
    }
  }
}
