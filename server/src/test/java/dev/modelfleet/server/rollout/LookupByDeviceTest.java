package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.rollout.RolloutFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Per-device work stays per device in a big rollout whose table statistics have not caught up
 * (autovacuum analyzes later; a first rollout, or a new version's health rows, are not in them):
 * 3,000 synthetic members added by SQL, statistics taken before their new version's health rows.
 *
 * <p>The tally's triggers (V32): Hibernate writes deployment statuses and health rows a statement
 * per row, so the triggers run once per device report, and must find that device's memberships by
 * device. Before V32 the planner went from the model to its rollouts and read every member of each:
 * a fleet-wide scan per report. Counted with the transaction's own statistics, the rows read from
 * rollout_devices.
 *
 * <p>The engine's reading of a rollout ({@link RolloutProgressQuery}): each member's health rows
 * looked up by their key, whatever the statistics say. Left to the planner, the form before read
 * the model's health rows by scanning them: with the statistics this test leaves, once into a hash
 * (linear); on the fleet benchmark's database, once per member through a nested loop (quadratic:
 * 1,000 members took 130-210 ms). The plan is what the test checks, since which of the two the
 * planner picks depends on statistics a test cannot pin down.
 */
@QuarkusTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LookupByDeviceTest {

  private static final int MEMBERS = 3_000;

  private RolloutFixture fixture;
  private Connection db;
  private String rolloutId;
  private String tag;

  /** Rows one device's write may read from rollout_devices: its own memberships and a margin. */
  private static final long FEW = 20;

  private static final String ROLLOUT_DEVICES_READ =
      """
      select pg_stat_get_xact_tuples_returned('rollout_devices'::regclass)
           + coalesce((select sum(pg_stat_get_xact_tuples_returned(i.indexrelid)) from pg_index i
                        where i.indrelid = 'rollout_devices'::regclass), 0)
      """;

  /** Made by the first test that runs: the REST and gRPC clients are set up per test. */
  private void bigRolloutWithoutStatistics() throws Exception {
    if (fixture != null) {
      return;
    }
    fixture = new RolloutFixture(3131);
    db = SyntheticMembers.owner();
    fixture.add(1, "cpu-lookup-" + fixture.site, v -> Reaction.ACTIVATE);
    fixture.allOnVersion1();
    rolloutId = fixture.start(RolloutFixture.allActiveWithin(30)).getString("id");
    awaitState(rolloutId, "completed");
    tag = "lookup-" + UUID.randomUUID().toString().substring(0, 8);
    // as for a rollout that has just added its members: the statistics know the rollout with its
    // one real member, not the 3,000 that follow
    try (Statement s = db.createStatement()) {
      s.execute("analyze rollout_devices");
    }
    SyntheticMembers.seed(db, UUID.fromString(rolloutId), fixture.model, tag, MEMBERS, false);
    // as during a rollout: the statistics know the members and the old version's health rows,
    // not the new version's, which arrive as devices report
    try (Statement s = db.createStatement()) {
      s.execute(
          "create temp table later_health as select h.* from device_model_health h"
              + " join devices d on d.id = h.device_id where d.name like '"
              + tag
              + "-%' and h.version = '2'");
      s.execute(
          "delete from device_model_health h using later_health l where h.device_id ="
              + " l.device_id and h.model = l.model and h.version = l.version");
      s.execute("analyze devices, deployment_statuses, device_model_health, rollout_member_tally");
      s.execute("insert into device_model_health select * from later_health");
      s.execute("drop table later_health");
    }
  }

  @AfterAll
  void removeThem() throws Exception {
    if (fixture == null) {
      return;
    }
    try {
      SyntheticMembers.unseed(db, tag);
    } finally {
      db.close();
      fixture.close();
    }
  }

  @Test
  void oneDevicesWriteReadsOnlyItsOwnMemberships() throws Exception {
    bigRolloutWithoutStatistics();
    // member 7: assigned, on version 2, generation 5, reporting "active"
    UUID device = deviceId(db, tag + "-7");
    db.setAutoCommit(false);
    try {
      assertReadsFew(
          "update deployment_statuses set state = 'verifying' where device_id = ? and model = ?",
          device,
          "state",
          "verifying");
      assertReadsFew(
          "update device_model_health set requests = 100000 where device_id = ? and model = ?"
              + " and version = '2'",
          device,
          "requests_now",
          "100000");
    } finally {
      db.rollback();
      db.setAutoCommit(true);
    }
  }

  /**
   * What a pooled connection does after its first five calls of a trigger: PostgreSQL then plans
   * the tally's statements once for any argument (a generic plan), from the same statistics. The
   * refresh must still look each member up by its key; a generic plan that went from the rollout to
   * its members read all 3,001 of them for every report (V32, on the fleet benchmark: 0.8 ms per
   * device report, the largest share of PostgreSQL's time in a rollout).
   */
  @Test
  void aDevicesWriteStaysCheapWithTheCachedPlan() throws Exception {
    bigRolloutWithoutStatistics();
    UUID device = deviceId(db, tag + "-8");
    db.setAutoCommit(false);
    try (Statement s = db.createStatement()) {
      s.execute("set local plan_cache_mode = force_generic_plan");
      for (String state : List.of("verifying", "active", "verifying", "active")) {
        assertReadsFew(
            "update deployment_statuses set state = '"
                + state
                + "' where device_id = ? and model = ?",
            device,
            "state",
            state);
      }
    } finally {
      db.rollback();
      db.setAutoCommit(true);
    }
  }

  @Test
  void theEnginesReadingLooksHealthUpByDevice() throws Exception {
    bigRolloutWithoutStatistics();
    List<String> plan =
        QuarkusTransaction.requiringNew()
            .call(
                () -> {
                  @SuppressWarnings("unchecked")
                  List<String> rows =
                      Panache.getEntityManager()
                          .createNativeQuery("explain " + RolloutProgressQuery.SQL)
                          .setParameter(1, UUID.fromString(rolloutId))
                          .setParameter(2, fixture.model)
                          .setParameter(3, "2")
                          .getResultList();
                  return rows;
                });
    String text = String.join("\n", plan);
    assertFalse(text.contains("Seq Scan on device_model_health"), text);
    assertTrue(text.contains("device_model_health_pkey"), text);
    List<DeviceProgress> members =
        QuarkusTransaction.requiringNew()
            .call(() -> RolloutProgressQuery.load(UUID.fromString(rolloutId), fixture.model, "2"));
    assertEquals(MEMBERS + 1, members.size(), "every member read");
  }

  /** Runs {@code sql} for the device and checks its tally row follows, having read few members. */
  private void assertReadsFew(String sql, UUID device, String column, String expected)
      throws Exception {
    long before = rowsRead(db);
    update(db, sql, device, fixture.model);
    long read = rowsRead(db) - before;
    assertEquals(expected, tallied(db, rolloutId, device, column), "the tally follows: " + sql);
    assertTrue(read <= FEW, sql + " read " + read + " rollout members (of " + MEMBERS + ")");
  }

  private static long rowsRead(Connection db) throws Exception {
    try (PreparedStatement s = db.prepareStatement(ROLLOUT_DEVICES_READ);
        ResultSet r = s.executeQuery()) {
      r.next();
      return r.getLong(1);
    }
  }

  private static void update(Connection db, String sql, UUID device, String model)
      throws Exception {
    try (PreparedStatement s = db.prepareStatement(sql)) {
      s.setObject(1, device);
      s.setString(2, model);
      assertEquals(1, s.executeUpdate(), sql);
    }
  }

  private static UUID deviceId(Connection db, String name) throws Exception {
    try (PreparedStatement s = db.prepareStatement("select id from devices where name = ?")) {
      s.setString(1, name);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getObject(1, UUID.class);
      }
    }
  }

  private static String tallied(Connection db, String rolloutId, UUID device, String column)
      throws Exception {
    // the column is one of this class's constants
    try (PreparedStatement s =
        db.prepareStatement(
            "select "
                + column
                + "::text from rollout_member_tally where rollout_id = ? and device_id = ?")) {
      s.setObject(1, UUID.fromString(rolloutId));
      s.setObject(2, device);
      try (ResultSet r = s.executeQuery()) {
        return r.next() ? r.getString(1) : null;
      }
    }
  }
}
