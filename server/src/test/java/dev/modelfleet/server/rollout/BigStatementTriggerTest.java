package dev.modelfleet.server.rollout;

import static dev.modelfleet.server.rollout.RolloutFixture.awaitState;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.server.support.FakeDevice.Reaction;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * One statement that changes thousands of rows the tally watches, on a connection whose first write
 * changed one: completing a big rollout releases all its members at once, and a heartbeat flush
 * writes thousands of health rows. The triggers compare the statement's old and new rows; planned
 * once for the connection's first, one-row statement, that comparison became a nested loop over
 * both (20,000 members: 4 x 10^8 row pairs, tens of seconds; at 50,000 the engine's transaction
 * timed out at every retry and the rollout never completed). Planned per statement, it takes a
 * fraction of a second. The limit here is the statement timeout, far above that.
 */
@QuarkusTest
class BigStatementTriggerTest {

  private static final int MEMBERS = 20_000;
  private static final String LIMIT = "15s";

  @Test
  void aStatementOverAllMembersIsPlannedForItsSizeNotTheConnectionsFirst() throws Exception {
    String tag = "bigstmt-" + UUID.randomUUID().toString().substring(0, 8);
    try (RolloutFixture fixture = new RolloutFixture(3232);
        Connection db = SyntheticMembers.owner()) {
      fixture.add(1, "cpu-bigstmt-" + fixture.site, v -> Reaction.ACTIVATE);
      fixture.allOnVersion1();
      UUID rollout =
          UUID.fromString(fixture.start(RolloutFixture.allActiveWithin(30)).getString("id"));
      awaitState(rollout.toString(), "completed");
      SyntheticMembers.seed(db, rollout, fixture.model, tag, MEMBERS, true);
      UUID first = deviceId(db, tag + "-1");
      db.setAutoCommit(false);
      try (Statement s = db.createStatement()) {
        s.execute("set local statement_timeout = '" + LIMIT + "'");
        // this connection's first write of each table: one row
        update(db, "update rollout_devices set released = false where device_id = ?", first, 1);
        update(
            db,
            "update device_model_health set requests = requests + 1 where device_id = ?"
                + " and version = '1'",
            first,
            1);

        int members =
            s.executeUpdate(
                "update rollout_devices set outcome_reason = 'closed by the test'"
                    + " where rollout_id = '"
                    + rollout
                    + "' and outcome is not null");
        assertEquals(
            members,
            count(
                db,
                "select count(*) from rollout_member_tally where rollout_id = '"
                    + rollout
                    + "' and reason = 'closed by the test'"),
            "the tally follows every changed member");
        int released =
            s.executeUpdate(
                "update rollout_devices set released = true where rollout_id = '" + rollout + "'");
        assertEquals(MEMBERS + 1, released);

        int health =
            s.executeUpdate(
                "update device_model_health h set requests = requests + 7 from devices d"
                    + " where d.id = h.device_id and d.name like '"
                    + tag
                    + "-%' and h.version = '1'");
        assertEquals(MEMBERS, health);
        assertEquals(
            count(
                db,
                "select requests from device_model_health where device_id = '"
                    + first
                    + "' and version = '1'"),
            count(
                db,
                "select requests_before from rollout_member_tally where device_id = '"
                    + first
                    + "'"),
            "the tally follows the health rows");
      } finally {
        db.rollback();
        db.setAutoCommit(true);
        SyntheticMembers.unseed(db, tag);
      }
    }
  }

  private static void update(Connection db, String sql, UUID device, int rows) throws Exception {
    try (PreparedStatement s = db.prepareStatement(sql)) {
      s.setObject(1, device);
      assertEquals(rows, s.executeUpdate(), sql);
    }
  }

  private static long count(Connection db, String sql) throws Exception {
    try (Statement s = db.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    }
  }

  private static UUID deviceId(Connection db, String name) throws Exception {
    try (PreparedStatement s = db.prepareStatement("select id from devices where name = ?")) {
      s.setString(1, name);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return (UUID) r.getObject(1);
      }
    }
  }
}
