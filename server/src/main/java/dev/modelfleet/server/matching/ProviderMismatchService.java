package dev.modelfleet.server.matching;

import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceDetails.MismatchView;
import dev.modelfleet.server.device.DeviceMismatches;
import dev.modelfleet.server.model.Variant;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Records when ONNX Runtime ran a variant on another provider than it was matched for (a CUDA
 * variant that fell back to CPU): such a device is slower than the matcher expected, and a class
 * where it happens often needs another variant.
 */
@ApplicationScoped
public class ProviderMismatchService implements DeviceMismatches {

  private final Clock clock;

  ProviderMismatchService(Clock clock) {
    this.clock = clock;
  }

  /** Records a mismatch once per device, variant and source; later sightings refresh its time. */
  @Transactional(Transactional.TxType.MANDATORY)
  public void recordIfDifferent(
      UUID deviceId, Variant variant, String usedProvider, String source) {
    if (usedProvider == null || usedProvider.isBlank() || variant == null) {
      return;
    }
    String used = normalize(usedProvider);
    String expected = normalize(variant.executionProvider);
    if (used.equals(expected)) {
      return;
    }
    Device device = Device.findById(deviceId);
    Panache.getEntityManager()
        .createNativeQuery(
            "insert into provider_mismatches (id, device_id, hardware_class_id, variant_id,"
                + " expected_provider, used_provider, source, observed_at)"
                + " values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) on conflict (device_id, variant_id, source)"
                + " do update set used_provider = excluded.used_provider, observed_at = excluded.observed_at,"
                + " hardware_class_id = excluded.hardware_class_id")
        .setParameter(1, UUID.randomUUID())
        .setParameter(2, deviceId)
        .setParameter(3, device == null ? null : device.hardwareClassId)
        .setParameter(4, variant.id)
        .setParameter(5, expected)
        .setParameter(6, used)
        .setParameter(7, source)
        .setParameter(8, clock.instant())
        .executeUpdate();
  }

  @Override
  @Transactional
  public List<MismatchView> ofDevice(UUID deviceId) {
    return ProviderMismatch.<ProviderMismatch>list("deviceId = ?1 order by observedAt", deviceId)
        .stream()
        .map(
            m -> {
              Variant v = Variant.findById(m.variantId);
              return new MismatchView(
                  v.version.model.name,
                  v.version.version,
                  m.variantId,
                  m.expectedProvider,
                  m.usedProvider,
                  m.source,
                  m.observedAt);
            })
        .toList();
  }

  /** How many mismatches a hardware class has seen, and on how many of its devices. */
  public record ClassMismatches(long mismatches, long devices) {
    public static final ClassMismatches NONE = new ClassMismatches(0, 0);
  }

  @Transactional
  public Map<String, ClassMismatches> byClass() {
    @SuppressWarnings("unchecked")
    List<Object[]> rows =
        Panache.getEntityManager()
            .createNativeQuery(
                "select hardware_class_id, count(*), count(distinct device_id) from provider_mismatches"
                    + " where hardware_class_id is not null group by hardware_class_id")
            .getResultList();
    Map<String, ClassMismatches> counts = new HashMap<>();
    rows.forEach(
        r ->
            counts.put(
                (String) r[0],
                new ClassMismatches(((Number) r[1]).longValue(), ((Number) r[2]).longValue())));
    return counts;
  }

  /** "CUDAExecutionProvider", "cuda" and "CUDA" name one provider. */
  public static String normalize(String provider) {
    String lower = provider.trim().toLowerCase(Locale.ROOT).replace("_", "");
    return lower.endsWith("executionprovider")
        ? lower.substring(0, lower.length() - "executionprovider".length())
        : lower;
  }
}
