package dev.modelfleet.server.common;

import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Warns at start when PostgreSQL will not vacuum and analyze the tables a fleet rewrites all day.
 * Every heartbeat rewrites its device's row and every report its deployment status, so without
 * vacuum those tables fill with dead rows (a 50,000-device fleet leaves 200,000 a minute), and
 * without analyze the planner keeps statistics from when the fleet was small. Both slow ingest and
 * rollouts down by degrees rather than failing, which is why it is said at start. A warning, not a
 * refusal: a database may be vacuumed on a schedule instead.
 */
@ApplicationScoped
class AutovacuumCheck {

  private static final Logger LOG = Logger.getLogger(AutovacuumCheck.class);

  /** The tables rewritten per device report or heartbeat. */
  static final List<String> HOT_TABLES =
      List.of(
          "devices",
          "deployment_statuses",
          "device_model_health",
          "rollout_devices",
          "rollout_member_tally");

  private static final String QUERY =
      """
      select current_setting('autovacuum')::boolean,
             array(select c.relname::text from pg_class c
                    where c.relname = any(?::text[]) and c.relnamespace = current_schema()::regnamespace
                      and c.reloptions::text[] && array['autovacuum_enabled=false',
                                                        'autovacuum_enabled=off'])""";

  void check(@Observes StartupEvent started, AgroalDataSource dataSource) {
    try (Connection connection = dataSource.getConnection()) {
      String problem = problem(connection);
      if (problem != null) {
        LOG.warn(problem);
      }
    } catch (SQLException e) {
      LOG.debugf(e, "could not read PostgreSQL's autovacuum settings");
    }
  }

  /** What is wrong with the database's vacuuming, said for an operator; null when nothing. */
  static String problem(Connection connection) throws SQLException {
    boolean on;
    List<String> off = new ArrayList<>();
    try (var query = connection.prepareStatement(QUERY)) {
      query.setArray(1, connection.createArrayOf("text", HOT_TABLES.toArray()));
      try (ResultSet row = query.executeQuery()) {
        row.next();
        on = row.getBoolean(1);
        for (Object table : (Object[]) row.getArray(2).getArray()) {
          off.add((String) table);
        }
      }
    }
    if (on && off.isEmpty()) {
      return null;
    }
    String what =
        !on
            ? "PostgreSQL's autovacuum is off"
            : "autovacuum is off for " + String.join(", ", off) + " (autovacuum_enabled = false)";
    return what
        + ": every heartbeat and device report rewrites a row of "
        + String.join(", ", HOT_TABLES)
        + ", so they will fill with dead rows and keep outdated statistics, and ingest and"
        + " rollouts slow down as the fleet runs. Turn it on (autovacuum = on in postgresql.conf,"
        + " or ALTER TABLE ... RESET (autovacuum_enabled)), or vacuum and analyze these tables on"
        + " a schedule: docs/operations.md, \"PostgreSQL for a fleet\".";
  }
}
