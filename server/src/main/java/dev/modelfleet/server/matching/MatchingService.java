package dev.modelfleet.server.matching;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.device.DeviceService;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import dev.modelfleet.server.model.VariantNeeds;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.List;
import java.util.UUID;

/** Loads what the matcher needs for a model version, once, and explains single decisions. */
@ApplicationScoped
public class MatchingService {

  private final DeviceService devices;

  MatchingService(DeviceService devices) {
    this.devices = devices;
  }

  /** Everything the matcher reads about a version: its variants and their trial results. */
  @Transactional
  public VersionMatcher forVersion(ModelVersion version, Double accuracyFloor) {
    List<Variant> variants = Variant.ofVersion(version);
    return new VersionMatcher(variants, trialResults(version), accuracyFloor);
  }

  @Transactional
  public MatchDecision explain(UUID deviceId, String model, String version, Double accuracyFloor) {
    var device = devices.get(deviceId);
    return forVersion(ModelService.version(model, version), accuracyFloor).decide(device);
  }

  /** A request's accuracy floor: absent, or a relative accuracy as variants declare it. */
  public static Double parseAccuracyFloor(String value) {
    return value == null || value.isBlank()
        ? null
        : VariantNeeds.parseAccuracy("accuracyFloor", value);
  }

  public static Double checkAccuracyFloor(Double value) {
    if (value != null && !(value > 0 && value <= VariantNeeds.MAX_ACCURACY)) {
      throw ApiError.INVALID_REQUEST.exception(
          "'accuracyFloor' must be greater than 0 and at most 2 (relative accuracy, e.g. 0.98); got "
              + value
              + ".");
    }
    return value;
  }

  private static ClassTrials trialResults(ModelVersion version) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        Panache.getEntityManager()
            .createNativeQuery(
                "select r.hardware_class_id, r.variant_id, r.p50_ms, r.error from trial_results r"
                    + " join variants v on v.id = r.variant_id"
                    + " where v.version_id = ?1 and r.state in ('measured', 'failed')")
            .setParameter(1, version.id)
            .getResultList();
    return ClassTrials.of(
        rows.stream()
            .map(
                r ->
                    new ClassTrials.Result(
                        (String) r[0],
                        (UUID) r[1],
                        r[2] == null ? null : ((Number) r[2]).doubleValue(),
                        (String) r[3]))
            .toList());
  }
}
