package dev.modelfleet.server.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * The start-up check names what keeps PostgreSQL from vacuuming the tables a fleet rewrites: the
 * global setting as the database has it, and a hot table with autovacuum turned off (done here in a
 * transaction that is rolled back, as the schema's owner).
 */
@QuarkusTest
class AutovacuumCheckTest {

  @Test
  void aHotTableWithoutAutovacuumIsNamed() throws Exception {
    String url = ConfigProvider.getConfig().getValue("quarkus.datasource.jdbc.url", String.class);
    try (Connection owner = DriverManager.getConnection(url, "postgres", "postgres")) {
      boolean globallyOn;
      try (Statement s = owner.createStatement();
          ResultSet r = s.executeQuery("show autovacuum")) {
        r.next();
        globallyOn = r.getString(1).equals("on");
      }
      String before = AutovacuumCheck.problem(owner);
      assertEquals(globallyOn, before == null, "as the database has it: " + before);

      owner.setAutoCommit(false);
      try (Statement s = owner.createStatement()) {
        s.execute("alter table device_model_health set (autovacuum_enabled = false)");
        String problem = AutovacuumCheck.problem(owner);
        assertNotNull(problem);
        assertTrue(
            globallyOn
                ? problem.startsWith("autovacuum is off for device_model_health")
                : problem.startsWith("PostgreSQL's autovacuum is off"),
            problem);
        assertTrue(problem.contains("docs/operations.md"), problem);
      } finally {
        owner.rollback();
      }
    }
  }
}
