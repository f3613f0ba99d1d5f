package dev.modelfleet.server.device;

import dev.modelfleet.agent.v1.ModelCounters;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Inference figures of one model version on one device, as its latest heartbeat reported them.
 * Values are made safe to store here, because one bad entry must not fail a batch that writes
 * thousands of devices' heartbeats together.
 */
public record ModelHealthInfo(
    String model,
    String version,
    UUID variantId,
    long requests,
    long errors,
    double p50Ms,
    double p95Ms,
    String executionProviderUsed) {

  /**
   * Entries without a version come from agents older than the field; their figures belong to
   * no particular version, so the rollout gates cannot use them and they are skipped. A model
   * version reported twice keeps its last entry: it is one row.
   */
  public static List<ModelHealthInfo> from(List<ModelCounters> counters) {
    Map<List<String>, ModelHealthInfo> byVersion = new LinkedHashMap<>();
    counters.stream()
        .map(c -> new ModelHealthInfo(
            StoredText.clean(c.getModel()),
            StoredText.clean(c.getVersion()),
            uuidOrNull(c.getVariantId()),
            Math.max(0, c.getRequests()),
            Math.max(0, c.getErrors()),
            finiteOrZero(c.getP50Ms()),
            finiteOrZero(c.getP95Ms()),
            emptyToNull(StoredText.clean(c.getExecutionProviderUsed()))))
        .filter(h -> !h.model().isEmpty() && !h.version().isEmpty())
        .forEach(h -> byVersion.put(List.of(h.model(), h.version()), h));
    return List.copyOf(byVersion.values());
  }

  private static UUID uuidOrNull(String text) {
    try {
      return text.isEmpty() ? null : UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static double finiteOrZero(double value) {
    return Double.isFinite(value) && value > 0 ? value : 0;
  }

  private static String emptyToNull(String text) {
    return text.isEmpty() ? null : text;
  }
}
