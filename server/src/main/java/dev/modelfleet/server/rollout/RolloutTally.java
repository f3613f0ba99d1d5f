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
 * sums and the medians of the devices' p95 latencies, and the first devices with a problem. The
 * view is read on every page, API call and stream change, so it must not cost one Java object per
 * device as {@link RolloutProgress} (the engine's reading) does, nor a join of every member with
 * its device, deployment status and health rows: with 50,000 members that join took 0.5-15 s of
 * PostgreSQL time. Triggers keep each member's state, reason and health figures in
 * rollout_member_tally (V30), in the transaction that changes them, so the view groups one narrow
 * table. Only "offline" depends on when the view is read: it is counted from the devices not heard
 * from since then. Both readings work out a device's state as {@link DeviceProgress#state} does;
 * RolloutTest holds them to the same figures (TallyAgreement).
 */
final class RolloutTally {

  /** Gate figures count a device with at least ?2 requests on both versions. */
  private static final String COUNTS =
      """
      select wave_index, state, count(*),
             count(*) filter (where outcome = 'failed' and reason like 'provider-fallback%'),
             count(*) filter (where outcome = 'failed'
                              and (reason like 'error-rate-regression%'
                                   or reason like 'latency-regression%')),
             count(*) filter (where judged),
             coalesce(sum(requests_now) filter (where judged), 0),
             coalesce(sum(errors_now) filter (where judged), 0),
             coalesce(sum(requests_before) filter (where judged), 0),
             coalesce(sum(errors_before) filter (where judged), 0)
        from judged
       group by wave_index, state
      """;

  /**
   * Per wave, how many judged devices have a p95 and the medians of their p95s on both versions, as
   * {@link WaveStats#median} takes them (the mean of the middle two of an even count), so the view
   * never carries one number per device out of the database.
   */
  private static final String MEDIANS =
      """
      select wave_index, count(p95_now) filter (where judged) as with_p95,
             percentile_cont(0.5) within group (order by p95_now) filter (where judged)
               as median_now,
             percentile_cont(0.5) within group (order by p95_before) filter (where judged)
               as median_before
        from judged
       group by wave_index
      """;

  /** The members of rollout ?1, each marked whether its health figures count for the gates. */
  private static final String JUDGED =
      """
      select t.*, t.requests_now >= ?2 and t.requests_before >= ?2 as judged
        from rollout_member_tally t
       where t.rollout_id = ?1
      """;

  /**
   * The members counted as offline, per wave and the state they would have otherwise: not heard
   * from since ?2 and not finished ({@link DeviceProgress#state}). Read from the devices side, as
   * few are offline on a healthy fleet.
   */
  private static final String OFFLINE =
      """
      select t.wave_index, t.state, count(*)
        from devices d
        join rollout_member_tally t on t.rollout_id = ?1 and t.device_id = d.id
       where (d.last_seen_at < ?3 or d.last_seen_at is null)
         and t.outcome is null and t.state not in ('active', 'failed')
       group by t.wave_index, t.state
      """;

  /**
   * All in one statement, so in one snapshot: counted members, those of them now offline (a member
   * that joins a running wave between two statements would otherwise be moved to offline from a
   * count that does not hold it) and the medians. Each row says which it is; counts come first.
   */
  private static final String WAVES =
      "with judged as ("
          + JUDGED
          + "), c as ("
          + COUNTS
          + "), o as ("
          + OFFLINE
          + "), m as ("
          + MEDIANS
          + ") select 0 as kind, c.*, null::float8, null::float8 from c"
          + " union all select 1, o.wave_index, o.state, o.count,"
          + " null, null, null, null, null, null, null, null, null from o"
          + " union all select 2, m.wave_index, null, m.with_p95,"
          + " null, null, null, null, null, null, null, m.median_now, m.median_before"
          + " from m order by 1";

  private static final java.util.Set<String> PROBLEM_STATES =
      java.util.Set.of(RolloutDevice.FAILED, RolloutDevice.SKIPPED, RolloutDevice.ROLLED_BACK);

  /** A device that reported rolled back itself but went offline since counts as offline. */
  private static final String PROBLEMS =
      """
      select rd.device_id, rd.wave_index, rd.hardware_class_id, t.state, t.reason, rd.generation,
             rd.variant_id, rd.previous_variant_id, rd.assigned_at
        from rollout_member_tally t
        join rollout_devices rd on rd.rollout_id = t.rollout_id and rd.device_id = t.device_id
        join devices d on d.id = t.device_id
       where t.rollout_id = ?1
         and t.state in ('failed', 'skipped', 'rolled_back') and t.reason is not null
         and not (t.outcome is null and t.state <> 'failed'
                  and (d.last_seen_at < ?2 or d.last_seen_at is null))
       order by t.wave_index, t.device_id
       limit ?3
      """;

  private RolloutTally() {}

  /** Per wave index, its devices' figures; a wave without devices is absent. */
  static Map<Integer, WaveStats> waves(Rollout rollout, Instant offlineSince) {
    Map<Integer, Partial> partials = new TreeMap<>();
    UUID id = rollout.id;
    for (Object row :
        query(WAVES, id)
            .setParameter(2, rollout.plan.gates().minRequests())
            .setParameter(3, offlineSince)
            .getResultList()) {
      Object[] r = (Object[]) row;
      Partial wave = partials.computeIfAbsent(((Number) r[1]).intValue(), w -> new Partial());
      switch (((Number) r[0]).intValue()) {
        case 0 -> wave.add(r);
        case 1 -> wave.offline((String) r[2], ((Number) r[3]).intValue());
        default -> wave.medians(((Number) r[3]).intValue(), (Double) r[11], (Double) r[12]);
      }
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
        query(PROBLEMS, rollout.id)
            .setParameter(2, offlineSince)
            .setParameter(3, limit)
            .getResultList()) {
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

  private static jakarta.persistence.Query query(String sql, UUID rollout) {
    return Panache.getEntityManager().createNativeQuery(sql).setParameter(1, rollout);
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
    private int withP95;
    private Double medianP95Now;
    private Double medianP95Before;

    /** A row of {@link #COUNTS}, after the row's kind. */
    void add(Object[] r) {
      int n = ((Number) r[3]).intValue();
      byState.put((String) r[2], n);
      devices += n;
      fallbacks += ((Number) r[4]).intValue();
      unhealthy += ((Number) r[5]).intValue();
      requestsNow += ((Number) r[7]).longValue();
      errorsNow += ((Number) r[8]).longValue();
      requestsBefore += ((Number) r[9]).longValue();
      errorsBefore += ((Number) r[10]).longValue();
    }

    void medians(int withP95, Double now, Double before) {
      this.withP95 = withP95;
      this.medianP95Now = now;
      this.medianP95Before = before;
    }

    /** Moves {@code n} devices counted in {@code state} to offline. */
    void offline(String state, int n) {
      int left = byState.merge(state, -n, Integer::sum);
      if (left == 0) {
        byState.remove(state);
      }
      byState.merge(DeviceProgress.OFFLINE, n, Integer::sum);
    }

    WaveStats stats() {
      int active = byState.getOrDefault(DeviceProgress.ACTIVE, 0);
      int failed = byState.getOrDefault(RolloutDevice.FAILED, 0);
      int skipped = byState.getOrDefault(RolloutDevice.SKIPPED, 0);
      GateFigures gate =
          new GateFigures(
              withP95 == 0 ? null : withP95,
              requestsNow == 0 ? null : 100.0 * errorsNow / requestsNow,
              requestsBefore == 0 ? null : 100.0 * errorsBefore / requestsBefore,
              medianP95Now,
              medianP95Before,
              fallbacks,
              unhealthy);
      return new WaveStats(devices, byState, devices - skipped, active, failed, skipped, gate);
    }
  }
}
