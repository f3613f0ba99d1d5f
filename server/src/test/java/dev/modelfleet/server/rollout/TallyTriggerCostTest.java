package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.rollout.RolloutFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What keeping the rollout view's tally costs one device's write (V32): Hibernate writes deployment
 * statuses and health rows a statement per row, so the triggers run once per device report, and
 * must find that device's memberships by device. Before V32 the planner went from the model to its
 * rollouts and read every member of each (while a new rollout's statistics lagged behind its
 * members): a fleet-wide scan per report. Counted with the transaction's own statistics, the rows
 * read from rollout_devices, in a rollout of 3,000 members whose statistics were never refreshed.
 */
@QuarkusTest
class TallyTriggerCostTest {

  private static final int MEMBERS = 3_000;

  /** Rows one device's write may read from rollout_devices: its own memberships and a margin. */
  private static final long FEW = 20;

  private static final String ROLLOUT_DEVICES_READ =
      """
      select pg_stat_get_xact_tuples_returned('rollout_devices'::regclass)
           + coalesce((select sum(pg_stat_get_xact_tuples_returned(i.indexrelid)) from pg_index i
                        where i.indrelid = 'rollout_devices'::regclass), 0)
      """;

  @Test
  void oneDevicesWriteReadsOnlyItsOwnMemberships() throws Exception {
    try (RolloutFixture f = new RolloutFixture(3131);
        Connection db = SyntheticMembers.owner()) {
      f.add(1, "cpu-tally-" + f.site, v -> Reaction.ACTIVATE);
      f.allOnVersion1();
      String id =
          f.start(
                  Map.of(
                      "defaults",
                      Map.of(
                          "successThreshold",
                          100,
                          "failureThreshold",
                          0,
                          "soakSeconds",
                          0,
                          "timeoutSeconds",
                          30)))
              .getString("id");
      awaitState(id, "completed");
      String tag = "tally-" + UUID.randomUUID().toString().substring(0, 8);
      SyntheticMembers.seed(db, UUID.fromString(id), f.model, tag, MEMBERS, false);
      try {
        // member 7: assigned, on version 2, generation 5, reporting "active"
        UUID device = deviceId(db, tag + "-7");
        db.setAutoCommit(false);
        try {
          long before = rowsRead(db);
          update(
              db,
              "update deployment_statuses set state = 'verifying' where device_id = ? and model = ?",
              device,
              f.model);
          long statusRead = rowsRead(db) - before;
          assertEquals("verifying", tallied(db, id, device, "state"), "the tally follows");
          assertTrue(
              statusRead <= FEW,
              "one status update read " + statusRead + " rollout members (of " + MEMBERS + ")");

          before = rowsRead(db);
          update(
              db,
              "update device_model_health set requests = 100000 where device_id = ? and model = ?"
                  + " and version = '2'",
              device,
              f.model);
          long healthRead = rowsRead(db) - before;
          assertEquals("100000", tallied(db, id, device, "requests_now"), "the tally follows");
          assertTrue(
              healthRead <= FEW,
              "one health update read " + healthRead + " rollout members (of " + MEMBERS + ")");
        } finally {
          db.rollback();
          db.setAutoCommit(true);
        }
      } finally {
        SyntheticMembers.unseed(db, tag);
      }
    }
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
