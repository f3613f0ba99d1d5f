package dev.modelfleet.server.matching;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Trial results of one model version, grouped by hardware class and variant: the measured figures
 * that override benchmark estimates for every device of the class.
 */
public final class ClassTrials {

  public static final ClassTrials NONE = new ClassTrials(Map.of());

  /**
   * What a class measured for a variant: median p50 of its successful results, or why all failed.
   */
  public record Figure(Double medianP50Ms, int measured, int failed, String lastError) {
    boolean onlyFailures() {
      return measured == 0 && failed > 0;
    }
  }

  /** One stored trial result, as loaded. */
  public record Result(String classId, UUID variantId, Double p50Ms, String error) {}

  private final Map<String, Map<UUID, Figure>> byClass;

  private ClassTrials(Map<String, Map<UUID, Figure>> byClass) {
    this.byClass = byClass;
  }

  public static ClassTrials of(List<Result> results) {
    Map<String, Map<UUID, List<Result>>> grouped = new HashMap<>();
    for (Result r : results) {
      if (r.classId() != null) {
        grouped
            .computeIfAbsent(r.classId(), c -> new HashMap<>())
            .computeIfAbsent(r.variantId(), v -> new ArrayList<>())
            .add(r);
      }
    }
    Map<String, Map<UUID, Figure>> byClass = new HashMap<>();
    grouped.forEach(
        (classId, variants) -> {
          Map<UUID, Figure> figures = new HashMap<>();
          variants.forEach((variantId, rs) -> figures.put(variantId, figure(rs)));
          byClass.put(classId, figures);
        });
    return new ClassTrials(byClass);
  }

  public Figure get(String classId, UUID variantId) {
    if (classId == null) {
      return null;
    }
    Map<UUID, Figure> figures = byClass.get(classId);
    return figures == null ? null : figures.get(variantId);
  }

  private static Figure figure(List<Result> results) {
    double[] p50s =
        results.stream()
            .filter(r -> r.error() == null && r.p50Ms() != null && r.p50Ms() >= 0)
            .mapToDouble(Result::p50Ms)
            .toArray();
    String lastError =
        results.stream().map(Result::error).filter(e -> e != null).reduce((a, b) -> b).orElse(null);
    return new Figure(
        p50s.length == 0 ? null : median(p50s),
        p50s.length,
        results.size() - p50s.length,
        lastError);
  }

  public static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
