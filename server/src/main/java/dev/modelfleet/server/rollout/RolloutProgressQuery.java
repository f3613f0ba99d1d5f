package dev.modelfleet.server.rollout;

import dev.modelfleet.server.rollout.DeviceProgress.Health;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.persistence.Query;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Reads every device of a rollout with what it reported and its health figures, in one query: the
 * engine runs it several times a second per running rollout.
 *
 * <p>Each member's two health rows are looked up by its device through the table's key (the lateral
 * subqueries with OFFSET 0 are not flattened into joins). Left to choose, the planner joined them
 * by scanning every health row of the model once per member whenever the statistics had not yet
 * seen a new version's rows (as during a rollout, the first on a database above all): 1,000 members
 * took 130-210 ms, growing with the square of the fleet; now about 12 ms.
 */
final class RolloutProgressQuery {

  static final String SQL =
      """
      select rd.device_id, rd.wave_index, rd.hardware_class_id, rd.assigned_at, rd.generation,
             rd.variant_id, rd.previous_variant_id, rd.outcome, rd.outcome_reason,
             ds.version, ds.generation, ds.state, coalesce(ds.reason_code || ': ' || ds.reason,
             ds.reason, ds.reason_code), ds.execution_provider_used,
             v.execution_provider, d.last_seen_at,
             hn.requests, hn.errors, hn.p95_ms, hn.execution_provider_used,
             hb.requests, hb.errors, hb.p95_ms, hb.execution_provider_used,
             ds.reason_code, ds.waiting_until
        from rollout_devices rd
        join devices d on d.id = rd.device_id
        left join deployment_statuses ds on ds.device_id = rd.device_id and ds.model = ?2
        left join variants v on v.id = rd.variant_id
        left join lateral (
          select h.requests, h.errors, h.p95_ms, h.execution_provider_used
            from device_model_health h
           where h.device_id = rd.device_id and h.model = ?2 and h.version = ?3 offset 0) hn
               on true
        left join variants pv on pv.id = rd.previous_variant_id
        left join model_versions pmv on pmv.id = pv.version_id and pmv.version <> ?3
        left join lateral (
          select h.requests, h.errors, h.p95_ms, h.execution_provider_used
            from device_model_health h
           where h.device_id = rd.device_id and h.model = ?2 and h.version = pmv.version
          offset 0) hb
               on true
       where rd.rollout_id = ?1
      """;

  private RolloutProgressQuery() {}

  static List<DeviceProgress> load(UUID rolloutId, String model, String version) {
    return loadThrough(rolloutId, model, version, Integer.MAX_VALUE);
  }

  /**
   * The devices of waves up to {@code lastWave}: what the engine judges. The members of later waves
   * were not told yet and have nothing to judge; at 50,000 members reading them too cost seconds
   * per judgment while the first waves ran.
   */
  static List<DeviceProgress> loadThrough(
      UUID rolloutId, String model, String version, int lastWave) {
    return read(
        Panache.getEntityManager()
            .createNativeQuery(
                SQL + " and rd.wave_index <= ?4 order by rd.wave_index, rd.device_id")
            .setParameter(1, rolloutId)
            .setParameter(2, model)
            .setParameter(3, version)
            .setParameter(4, lastWave));
  }

  /**
   * At most {@code count} devices after {@code after} (wave index, device id; null: from the
   * first), in the same order as {@link #load}.
   */
  static List<DeviceProgress> page(
      UUID rolloutId, String model, String version, List<?> after, int count) {
    // ordinal parameters must run without a gap
    String limit = after == null ? "?4" : "?6";
    Query query =
        Panache.getEntityManager()
            .createNativeQuery(
                SQL
                    + (after == null ? "" : " and (rd.wave_index, rd.device_id) > (?4, ?5)")
                    + " order by rd.wave_index, rd.device_id limit "
                    + limit)
            .setParameter(1, rolloutId)
            .setParameter(2, model)
            .setParameter(3, version);
    if (after == null) {
      query.setParameter(4, count);
    } else {
      query.setParameter(4, after.get(0)).setParameter(5, after.get(1)).setParameter(6, count);
    }
    return read(query);
  }

  private static List<DeviceProgress> read(Query query) {
    @SuppressWarnings("unchecked")
    List<Object[]> rows = query.getResultList();
    List<DeviceProgress> devices = new ArrayList<>(rows.size());
    for (Object[] r : rows) {
      devices.add(
          new DeviceProgress(
              (UUID) r[0],
              ((Number) r[1]).intValue(),
              (String) r[2],
              instant(r[3]),
              longOrNull(r[4]),
              (UUID) r[5],
              (UUID) r[6],
              (String) r[7],
              (String) r[8],
              (String) r[9],
              r[10] == null ? 0 : ((Number) r[10]).longValue(),
              (String) r[11],
              (String) r[12],
              (String) r[13],
              (String) r[14],
              instant(r[15]),
              health(r, 16),
              health(r, 20),
              (String) r[24],
              instant(r[25])));
    }
    return devices;
  }

  private static Health health(Object[] r, int at) {
    if (r[at] == null) {
      return null;
    }
    return new Health(
        ((Number) r[at]).longValue(),
        ((Number) r[at + 1]).longValue(),
        ((Number) r[at + 2]).doubleValue(),
        (String) r[at + 3]);
  }

  private static Long longOrNull(Object value) {
    return value == null ? null : ((Number) value).longValue();
  }

  static Instant instant(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Instant i) {
      return i;
    }
    if (value instanceof OffsetDateTime o) {
      return o.toInstant();
    }
    return ((Timestamp) value).toInstant();
  }
}
