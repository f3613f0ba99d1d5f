package dev.modelfleet.server.matching;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceStatus;
import dev.modelfleet.server.hardware.HardwareClass;
import dev.modelfleet.server.matching.HardwareClassViews.BenchmarkFigure;
import dev.modelfleet.server.matching.HardwareClassViews.HardwareClassView;
import dev.modelfleet.server.matching.HardwareClassViews.TrialFigure;
import dev.modelfleet.server.matching.ProviderMismatchService.ClassMismatches;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/** Hardware classes as operators see them: who is in them and what they measured. */
@ApplicationScoped
public class HardwareClassService {

  private final ProviderMismatchService mismatches;

  HardwareClassService(ProviderMismatchService mismatches) {
    this.mismatches = mismatches;
  }

  /** Classes with at least one active device, largest first. */
  @Transactional
  public List<HardwareClassView> list() {
    Map<String, List<Device>> members =
        Device.<Device>list("hardwareClassId is not null and status = ?1", DeviceStatus.ACTIVE)
            .stream()
            .collect(Collectors.groupingBy(d -> d.hardwareClassId));
    Map<String, List<TrialFigure>> trials = trialFigures(null);
    Map<String, ClassMismatches> mismatchCounts = mismatches.byClass();
    if (members.isEmpty()) {
      return List.of();
    }
    return HardwareClass.<HardwareClass>list("id in ?1", members.keySet()).stream()
        .map(c -> view(c, members.get(c.id), trials, mismatchCounts))
        .sorted(
            Comparator.comparingLong(HardwareClassView::devices)
                .reversed()
                .thenComparing(HardwareClassView::id))
        .toList();
  }

  /**
   * What trials measured, per hardware class id, for every variant tried on it; read without the
   * classes' devices, for pages that show trials by variant.
   */
  @Transactional
  public Map<String, List<TrialFigure>> trials() {
    return trialFigures(null);
  }

  @Transactional
  public HardwareClassView get(String id) {
    HardwareClass hardwareClass = HardwareClass.findById(id);
    if (hardwareClass == null) {
      throw ApiError.NOT_FOUND.exception("No hardware class with id '" + id + "'.");
    }
    List<Device> members =
        Device.list("hardwareClassId = ?1 and status = ?2", id, DeviceStatus.ACTIVE);
    return view(hardwareClass, members, trialFigures(id), mismatches.byClass());
  }

  private static HardwareClassView view(
      HardwareClass c,
      List<Device> members,
      Map<String, List<TrialFigure>> trials,
      Map<String, ClassMismatches> mismatchCounts) {
    List<BenchmarkInfo> reports =
        members.stream().map(d -> d.benchmark).filter(b -> b != null).toList();
    ClassMismatches mismatched = mismatchCounts.getOrDefault(c.id, ClassMismatches.NONE);
    return new HardwareClassView(
        c.id,
        c.description,
        c.simulated,
        c.profile,
        members.size(),
        reports.size(),
        medians(reports),
        trials.getOrDefault(c.id, List.of()),
        mismatched.mismatches(),
        mismatched.devices(),
        c.createdAt);
  }

  /** Per provider × precision × kernel, the median of the devices' figures (one each). */
  private static List<BenchmarkFigure> medians(List<BenchmarkInfo> reports) {
    Map<List<String>, List<BenchmarkInfo.Figure>> byFigure = new LinkedHashMap<>();
    for (BenchmarkInfo report : reports) {
      for (BenchmarkInfo.Figure f : report.results()) {
        if (f.measured()) {
          byFigure
              .computeIfAbsent(
                  List.of(f.executionProvider(), f.precision(), f.kernel()), k -> new ArrayList<>())
              .add(f);
        }
      }
    }
    return byFigure.entrySet().stream()
        .map(
            e ->
                new BenchmarkFigure(
                    e.getKey().get(0),
                    e.getKey().get(1),
                    e.getKey().get(2),
                    e.getValue().size(),
                    ClassTrials.median(
                        e.getValue().stream().mapToDouble(BenchmarkInfo.Figure::gmacs).toArray()),
                    ClassTrials.median(
                        e.getValue().stream().mapToDouble(BenchmarkInfo.Figure::p50Ms).toArray())))
        .sorted(
            Comparator.comparing(BenchmarkFigure::executionProvider)
                .thenComparing(BenchmarkFigure::precision)
                .thenComparing(BenchmarkFigure::kernel))
        .toList();
  }

  /**
   * Reported trial results per class and variant; one class, or all when {@code classId} is null.
   */
  private static Map<String, List<TrialFigure>> trialFigures(String classId) {
    var query =
        Panache.getEntityManager()
            .createNativeQuery(
                "select r.hardware_class_id, r.variant_id, m.name, mv.version, v.precision,"
                    + " v.execution_provider, r.p50_ms, r.error from trial_results r"
                    + " join variants v on v.id = r.variant_id"
                    + " join model_versions mv on mv.id = v.version_id join models m on m.id = mv.model_id"
                    + " where r.state in ('measured', 'failed') and r.hardware_class_id is not null"
                    + (classId == null ? "" : " and r.hardware_class_id = ?1")
                    + " order by m.name, mv.version, v.precision, v.execution_provider, r.reported_at");
    if (classId != null) {
      query.setParameter(1, classId);
    }
    @SuppressWarnings("unchecked")
    List<Object[]> rows = query.getResultList();
    Map<String, Map<UUID, List<Object[]>>> grouped = new LinkedHashMap<>();
    for (Object[] r : rows) {
      grouped
          .computeIfAbsent((String) r[0], k -> new LinkedHashMap<>())
          .computeIfAbsent((UUID) r[1], k -> new ArrayList<>())
          .add(r);
    }
    Map<String, List<TrialFigure>> figures = new HashMap<>();
    grouped.forEach(
        (id, variants) ->
            figures.put(
                id, variants.values().stream().map(HardwareClassService::trialFigure).toList()));
    return figures;
  }

  private static TrialFigure trialFigure(List<Object[]> results) {
    Object[] first = results.get(0);
    double[] p50s =
        results.stream()
            .filter(r -> r[7] == null && r[6] != null)
            .mapToDouble(r -> ((Number) r[6]).doubleValue())
            .toArray();
    String lastError =
        results.stream()
            .map(r -> (String) r[7])
            .filter(e -> e != null)
            .reduce((a, b) -> b)
            .orElse(null);
    return new TrialFigure(
        (String) first[2],
        (String) first[3],
        (UUID) first[1],
        (String) first[4],
        (String) first[5],
        p50s.length,
        results.size() - p50s.length,
        p50s.length == 0 ? null : ClassTrials.median(p50s),
        lastError);
  }
}
