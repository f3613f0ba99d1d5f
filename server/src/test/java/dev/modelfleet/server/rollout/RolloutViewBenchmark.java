package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.rollout.RolloutFixture.awaitState;
import static dev.modelfleet.server.support.Api.admin;

import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What the rollout view costs with 50,000 members (issue 16), for docs/benchmarks.md: a real
 * rollout, then 50,000 synthetic members added by SQL (devices, deployment statuses in every state,
 * health on both versions, some failed and skipped by the engine, 2 % offline). Interleaved rounds
 * of: the per-request join the view ran before (kept here as the reference), the view's reading now
 * ({@link RolloutTally}), and the whole {@code GET /api/v1/rollouts/{id}}. Then the write side: a
 * batch of 1,000 deployment status changes with the triggers that keep the tally, against the same
 * batch with triggers off. Skipped in the normal build; run it with {@code ./mvnw -pl server test
 * -Dtest=RolloutViewBenchmark -Dbench=true}. It takes its rows out again.
 */
@QuarkusTest
@EnabledIfSystemProperty(named = "bench", matches = "true")
class RolloutViewBenchmark {

  private static final int MEMBERS = Integer.getInteger("bench.members", 50_000);
  private static final int ROUNDS = 15;
  private static final int BATCH = 1_000;

  /** RolloutTally's reading before V30: every member joined with five tables per request. */
  private static final String BEFORE_DEVICES =
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

  private static final String BEFORE_COUNTS =
      BEFORE_DEVICES
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

  private static final String BEFORE_PROBLEMS =
      BEFORE_DEVICES
          + """
          select device_id, wave_index, hardware_class_id, state, reason, generation, variant_id,
                 previous_variant_id, assigned_at
            from p
           where state in ('failed', 'skipped', 'rolled_back') and reason is not null
           order by wave_index, device_id
           limit ?6
          """;

  @Test
  void viewFigures() throws Exception {
    try (RolloutFixture f = new RolloutFixture(4242);
        Connection db = SyntheticMembers.owner()) {
      f.add(1, "cpu-bench-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      String id = f.start(RolloutFixture.allActiveWithin(30)).getString("id");
      awaitState(id, "completed");
      String tag = "bench-" + UUID.randomUUID().toString().substring(0, 8);
      long seeding = System.nanoTime();
      SyntheticMembers.seed(db, UUID.fromString(id), f.model, tag, MEMBERS, true);
      System.out.printf(
          Locale.ROOT,
          "rollout view bench: %,d synthetic members seeded in %.1f s (load %s)%n",
          MEMBERS,
          (System.nanoTime() - seeding) / 1e9,
          load());
      try {
        measureReads(UUID.fromString(id));
        measureWrites(db, f.model, tag);
      } finally {
        SyntheticMembers.unseed(db, tag);
      }
    }
  }

  private static void measureReads(UUID id) {
    long[] before = new long[ROUNDS];
    long[] after = new long[ROUNDS];
    long[] http = new long[ROUNDS];
    for (int round = -2; round < ROUNDS; round++) { // two rounds of warm-up
      long b = timed(() -> before(id));
      long a = timed(() -> after(id));
      long h = timed(() -> admin().get("/api/v1/rollouts/" + id).then().statusCode(200).extract());
      if (round >= 0) {
        before[round] = b;
        after[round] = a;
        http[round] = h;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "rollout view bench: %,d members, %d interleaved rounds, load %s%n"
            + "  before (join per read):    %s%n"
            + "  after (rollout_member_tally): %s%n"
            + "  GET /api/v1/rollouts/{id} after: %s%n",
        MEMBERS,
        ROUNDS,
        load(),
        figures(before),
        figures(after),
        figures(http));
  }

  private static void before(UUID id) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Rollout r = Rollout.findById(id);
              Instant offlineSince = Instant.now().minus(Duration.ofMinutes(5));
              for (String sql : List.of(BEFORE_COUNTS, BEFORE_PROBLEMS)) {
                var query =
                    Panache.getEntityManager()
                        .createNativeQuery(sql)
                        .setParameter(1, r.id)
                        .setParameter(2, r.model.name)
                        .setParameter(3, r.version.version)
                        .setParameter(4, offlineSince)
                        .setParameter(5, r.plan.gates().minRequests());
                if (sql == BEFORE_PROBLEMS) {
                  query.setParameter(6, 20);
                }
                query.getResultList();
              }
            });
  }

  private static void after(UUID id) {
    QuarkusTransaction.requiringNew()
        .run(
            () -> {
              Rollout r = Rollout.findById(id);
              Instant offlineSince = Instant.now().minus(Duration.ofMinutes(5));
              var waves = RolloutTally.waves(r, offlineSince);
              if (RolloutTally.hasProblems(waves.values())) {
                RolloutTally.problems(r, offlineSince, 20);
              }
            });
  }

  /**
   * A batch of {@link #BATCH} members' deployment statuses moving on (state and reason) in one
   * statement, with the tally's triggers and without (session_replication_role replica skips
   * ordinary triggers), interleaved; a batch that changes only bytes_done; and the same batch a
   * statement per row in one JDBC batch, as Hibernate writes the progress ingest's and the engine's
   * rows (the triggers then run once per row).
   */
  private static void measureWrites(Connection db, String model, String tag) throws Exception {
    long[] with = new long[ROUNDS];
    long[] without = new long[ROUNDS];
    long[] bytesOnly = new long[ROUNDS];
    long[] rowByRow = new long[ROUNDS];
    long[] rowByRowWithout = new long[ROUNDS];
    String change =
        "update deployment_statuses s set state = case when s.state = 'active' then 'verifying'"
            + " else 'active' end, updated_at = now() from (select id from devices"
            + " where name like ? order by id limit ?) d where s.device_id = d.id and s.model = ?";
    String bytes =
        "update deployment_statuses s set bytes_done = bytes_done + 1 from (select id from"
            + " devices where name like ? order by id limit ?) d where s.device_id = d.id"
            + " and s.model = ?";
    List<UUID> rows = statusIds(db, model, tag);
    db.setAutoCommit(false);
    try (PreparedStatement changing = db.prepareStatement(change);
        PreparedStatement counting = db.prepareStatement(bytes);
        PreparedStatement oneRow =
            db.prepareStatement(
                "update deployment_statuses set state = case when state = 'active' then"
                    + " 'verifying' else 'active' end, updated_at = now() where id = ?");
        Statement plain = db.createStatement()) {
      for (PreparedStatement s : List.of(changing, counting)) {
        s.setString(1, tag + "-%");
        s.setInt(2, BATCH);
        s.setString(3, model);
      }
      for (int round = -2; round < ROUNDS; round++) {
        long w = timedCommit(db, changing);
        plain.execute("set session_replication_role = replica");
        long wo = timedCommit(db, changing);
        plain.execute("set session_replication_role = origin");
        db.commit();
        long b = timedCommit(db, counting);
        long r = timedRows(db, oneRow, rows);
        plain.execute("set session_replication_role = replica");
        long rwo = timedRows(db, oneRow, rows);
        plain.execute("set session_replication_role = origin");
        db.commit();
        if (round >= 0) {
          with[round] = w;
          without[round] = wo;
          bytesOnly[round] = b;
          rowByRow[round] = r;
          rowByRowWithout[round] = rwo;
        }
      }
    } finally {
      db.setAutoCommit(true);
    }
    System.out.printf(
        Locale.ROOT,
        "rollout view bench: writes, %,d deployment statuses per statement, load %s%n"
            + "  state changes, tally triggers on:  %s%n"
            + "  state changes, triggers off:       %s%n"
            + "  bytes_done only, triggers on:      %s%n"
            + "  state changes a statement per row, triggers on:  %s%n"
            + "  state changes a statement per row, triggers off: %s%n",
        BATCH,
        load(),
        figures(with),
        figures(without),
        figures(bytesOnly),
        figures(rowByRow),
        figures(rowByRowWithout));
  }

  private static List<UUID> statusIds(Connection db, String model, String tag) throws Exception {
    List<UUID> ids = new java.util.ArrayList<>();
    try (PreparedStatement s =
        db.prepareStatement(
            "select s.id from deployment_statuses s join devices d on d.id = s.device_id"
                + " where d.name like ? and s.model = ? order by d.id limit ?")) {
      s.setString(1, tag + "-%");
      s.setString(2, model);
      s.setInt(3, BATCH);
      try (java.sql.ResultSet r = s.executeQuery()) {
        while (r.next()) {
          ids.add(r.getObject(1, UUID.class));
        }
      }
    }
    return ids;
  }

  private static long timedRows(Connection db, PreparedStatement statement, List<UUID> ids)
      throws Exception {
    long start = System.nanoTime();
    for (UUID id : ids) {
      statement.setObject(1, id);
      statement.addBatch();
    }
    statement.executeBatch();
    db.commit();
    return System.nanoTime() - start;
  }

  private static long timedCommit(Connection db, PreparedStatement statement) throws Exception {
    long start = System.nanoTime();
    statement.executeUpdate();
    db.commit();
    return System.nanoTime() - start;
  }

  private static long timed(Runnable work) {
    long start = System.nanoTime();
    work.run();
    return System.nanoTime() - start;
  }

  private static String figures(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format(
        Locale.ROOT,
        "median %.1f ms, min %.1f, max %.1f",
        sorted[sorted.length / 2] / 1e6,
        sorted[0] / 1e6,
        sorted[sorted.length - 1] / 1e6);
  }

  private static String load() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "?";
    }
  }
}
