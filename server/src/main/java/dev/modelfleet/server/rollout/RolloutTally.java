package dev.modelfleet.server.rollout;

import dev.modelfleet.server.rollout.RolloutViews.DeviceView;
import dev.modelfleet.server.rollout.WaveStats.GateFigures;
import io.quarkus.hibernate.orm.panache.Panache;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * A rollout's figures for its view, counted by the database: devices per wave and state, the gates'
 * sums and the p95 latencies whose medians they show, and the first devices with a problem. The
 * view is read on every page, API call and stream change, so it must not cost one Java object per
 * device as {@link RolloutProgress} (the engine's reading) does. Both work out a device's state as
 * {@link DeviceProgress#state} does; RolloutTest holds them to the same figures.
 */
final class RolloutTally {

  /**
   * Each device of the rollout with its state, its failure reason and its health figures; the state
   * is {@link DeviceProgress#state} in SQL: the engine's verdict, else what the device reported for
   * this rollout's generation, else pending or waiting, and offline for a device not heard from
   * since ?4 that has not finished.
   */
  private static final String DEVICES =
      """
      with p as (
        select rd.device_id, rd.wave_index, rd.hardware_class_id, rd.generation, rd.variant_id,
               rd.previous_variant_id, rd.assigned_at, rd.outcome,
               case
                 when rd.outcome is not null then rd.outcome
                 when r.state not in ('active', 'failed')
                      and (d.last_seen_at is null or d.last_seen_at < ?4) then 'offline'
                 else r.state
               end as state,
               coalesce(rd.outcome_reason, ds.reason_code || ': ' || ds.reason, ds.reason,
                        ds.reason_code) as reason,
               hn.requests >= ?5 and hb.requests >= ?5 as judged,
               hn.requests as requests_now, hn.errors as errors_now, hn.p95_ms as p95_now,
               hb.requests as requests_before, hb.errors as errors_before,
               hb.p95_ms as p95_before
          from rollout_devices rd
          join devices d on d.id = rd.device_id
          left join deployment_statuses ds on ds.device_id = rd.device_id and ds.model = ?2
          left join device_model_health hn
                 on hn.device_id = rd.device_id and hn.model = ?2 and hn.version = ?3
          left join variants pv on pv.id = rd.previous_variant_id
          left join model_versions pmv on pmv.id = pv.version_id and pmv.version <> ?3
          left join device_model_health hb
                 on hb.device_id = rd.device_id and hb.model = ?2 and hb.version = pmv.version
          cross join lateral (
            select case
                     when rd.assigned_at is null then 'waiting'
                     when ds.version = ?3 and rd.generation is not null
                          and coalesce(ds.generation, 0) >= rd.generation
                          and ds.state is not null
                          and ds.reason_code in ('waiting_window', 'waiting_budget')
                          then ds.reason_code
                     when ds.version = ?3 and rd.generation is not null
                          and coalesce(ds.generation, 0) >= rd.generation
                          and ds.state is not null and ds.state <> 'unknown' then ds.state
                     else 'pending'
                   end as state) r
         where rd.rollout_id = ?1)
      """;

  private static final String COUNTS =
      DEVICES
          + """
          select wave_index, state, count(*),
                 count(*) filter (where outcome = 'failed' and reason like 'provider-fallback%'),
                 count(*) filter (where outcome = 'failed'
                                  and (reason like 'error-rate-regression%'
                                       or reason like 'latency-regression%')),
                 count(*) filter (where judged),
                 coalesce(sum(requests_now) filter (where judged), 0),
                 coalesce(sum(errors_now) filter (where judged), 0),
                 coalesce(sum(requests_before) filter (where judged), 0),
                 coalesce(sum(errors_before) filter (where judged), 0),
                 string_agg(p95_now::text, ',') filter (where judged),
                 string_agg(p95_before::text, ',') filter (where judged)
            from p group by wave_index, state
          """;

  private static final java.util.Set<String> PROBLEM_STATES =
      java.util.Set.of(RolloutDevice.FAILED, RolloutDevice.SKIPPED, RolloutDevice.ROLLED_BACK);

  private static final String PROBLEMS =
      DEVICES
          + """
          select device_id, wave_index, hardware_class_id, state, reason, generation, variant_id,
                 previous_variant_id, assigned_at
            from p
           where state in ('failed', 'skipped', 'rolled_back') and reason is not null
           order by wave_index, device_id
           limit ?6
          """;

  private RolloutTally() {}

  /** Per wave index, its devices' figures; a wave without devices is absent. */
  static Map<Integer, WaveStats> waves(Rollout rollout, Instant offlineSince) {
    Map<Integer, Partial> partials = new TreeMap<>();
    for (Object row : bind(COUNTS, rollout, offlineSince).getResultList()) {
      Object[] r = (Object[]) row;
      partials.computeIfAbsent(((Number) r[0]).intValue(), w -> new Partial()).add(r);
    }
    Map<Integer, WaveStats> waves = new HashMap<>();
    partials.forEach((wave, partial) -> waves.put(wave, partial.stats()));
    return waves;
  }

  /**
   * Whether any device failed, was skipped or rolled back: only then is there a problem to list.
   */
  static boolean hasProblems(java.util.Collection<WaveStats> waves) {
    return waves.stream()
        .anyMatch(w -> w.byState().keySet().stream().anyMatch(PROBLEM_STATES::contains));
  }

  /** The first {@code limit} devices, by wave then id, that failed, were skipped or rolled back. */
  static List<DeviceView> problems(Rollout rollout, Instant offlineSince, int limit) {
    List<DeviceView> problems = new ArrayList<>();
    for (Object row :
        bind(PROBLEMS, rollout, offlineSince).setParameter(6, limit).getResultList()) {
      Object[] r = (Object[]) row;
      problems.add(
          new DeviceView(
              (UUID) r[0],
              ((Number) r[1]).intValue(),
              (String) r[2],
              (String) r[3],
              (String) r[4],
              r[5] == null ? null : ((Number) r[5]).longValue(),
              (UUID) r[6],
              (UUID) r[7],
              RolloutProgressQuery.instant(r[8])));
    }
    return problems;
  }

  private static jakarta.persistence.Query bind(String sql, Rollout rollout, Instant offlineSince) {
    return Panache.getEntityManager()
        .createNativeQuery(sql)
        .setParameter(1, rollout.id)
        .setParameter(2, rollout.model.name)
        .setParameter(3, rollout.version.version)
        .setParameter(4, offlineSince)
        .setParameter(5, rollout.plan.gates().minRequests());
  }

  /** One wave's rows (one per state), summed as {@link WaveStats#of} sums its devices. */
  private static final class Partial {
    private final Map<String, Integer> byState = new TreeMap<>();
    private int devices;
    private int fallbacks;
    private int unhealthy;
    private long requestsNow;
    private long errorsNow;
    private long requestsBefore;
    private long errorsBefore;
    private final List<Double> p95Now = new ArrayList<>();
    private final List<Double> p95Before = new ArrayList<>();

    void add(Object[] r) {
      int n = ((Number) r[2]).intValue();
      byState.put((String) r[1], n);
      devices += n;
      fallbacks += ((Number) r[3]).intValue();
      unhealthy += ((Number) r[4]).intValue();
      requestsNow += ((Number) r[6]).longValue();
      errorsNow += ((Number) r[7]).longValue();
      requestsBefore += ((Number) r[8]).longValue();
      errorsBefore += ((Number) r[9]).longValue();
      numbers((String) r[10], p95Now);
      numbers((String) r[11], p95Before);
    }

    WaveStats stats() {
      int active = byState.getOrDefault(DeviceProgress.ACTIVE, 0);
      int failed = byState.getOrDefault(RolloutDevice.FAILED, 0);
      int skipped = byState.getOrDefault(RolloutDevice.SKIPPED, 0);
      GateFigures gate =
          new GateFigures(
              p95Now.isEmpty() ? null : p95Now.size(),
              requestsNow == 0 ? null : 100.0 * errorsNow / requestsNow,
              requestsBefore == 0 ? null : 100.0 * errorsBefore / requestsBefore,
              WaveStats.median(p95Now),
              WaveStats.median(p95Before),
              fallbacks,
              unhealthy);
      return new WaveStats(devices, byState, devices - skipped, active, failed, skipped, gate);
    }

    /** The p95 figures as PostgreSQL wrote them: its shortest text that reads back exactly. */
    private static void numbers(String joined, List<Double> into) {
      if (joined == null) {
        return;
      }
      for (String value : joined.split(",")) {
        into.add(Double.parseDouble(value));
      }
    }
  }
}
