package dev.modelfleet.server.device.heartbeat;

import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.server.common.StoredText;
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
   * Model versions whose figures are kept per device, the most recently reported ones: the rollout
   * gates compare a new version with the one before, never with the hundredth.
   */
  public static final int KEPT_PER_DEVICE = 100;

  /**
   * Entries without a version come from agents older than the field; their figures belong to no
   * particular version, so the rollout gates cannot use them and they are skipped. A model version
   * reported twice keeps its last entry: it is one row. At most {@link #KEPT_PER_DEVICE} entries
   * are taken from one heartbeat.
   */
  public static List<ModelHealthInfo> from(List<ModelCounters> counters) {
    Map<List<String>, ModelHealthInfo> byVersion = new LinkedHashMap<>();
    counters.stream()
        .map(
            c ->
                new ModelHealthInfo(
                    StoredText.bounded(c.getModel(), StoredText.NAME_LENGTH),
                    StoredText.bounded(c.getVersion(), StoredText.NAME_LENGTH),
                    uuidOrNull(c.getVariantId()),
                    Math.max(0, c.getRequests()),
                    Math.max(0, c.getErrors()),
                    finiteOrZero(c.getP50Ms()),
                    finiteOrZero(c.getP95Ms()),
                    emptyToNull(
                        StoredText.bounded(c.getExecutionProviderUsed(), StoredText.NAME_LENGTH))))
        .filter(h -> !h.model().isEmpty() && !h.version().isEmpty())
        .forEach(h -> byVersion.put(List.of(h.model(), h.version()), h));
    List<ModelHealthInfo> all = List.copyOf(byVersion.values());
    // no more than a device keeps: the last ones, as agents add versions as they serve them
    return all.subList(Math.max(0, all.size() - KEPT_PER_DEVICE), all.size());
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
