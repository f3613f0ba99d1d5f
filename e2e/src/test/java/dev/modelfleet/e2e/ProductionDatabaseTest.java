package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A database set up as docs/operations.md tells operators to, with deploy/server/database.sql: the
 * packaged server migrates it as the owner role and runs as the application role, works as usual,
 * and that role cannot drop or alter the audit log's protection. Needs psql (installed with
 * PostgreSQL by deploy/dev/ensure-postgres.sh) and the postgres superuser on 127.0.0.1.
 */
class ProductionDatabaseTest {

  private static final String DATABASE = TestDatabase.NAME + "_roles";
  private static final String OWNER = DATABASE + "_owner";
  private static final String APP = DATABASE + "_app";
  private static final String OWNER_PASSWORD = UUID.randomUUID().toString();
  private static final String APP_PASSWORD = UUID.randomUUID().toString();

  private static final RepoLayout REPO = RepoLayout.find();
  private static Path workDir;

  @BeforeAll
  static void createDatabaseWithTheProductionScript() throws Exception {
    Assumptions.assumeTrue(psqlInstalled(), "psql is not on the PATH");
    dropDatabaseAndRoles();
    workDir = Files.createTempDirectory("modelfleet-roles-");
    ProcessBuilder psql =
        new ProcessBuilder(
                "psql",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "database=" + DATABASE,
                "-v",
                "owner=" + OWNER,
                "-v",
                "app=" + APP,
                "-v",
                "owner_password=" + OWNER_PASSWORD,
                "-v",
                "app_password=" + APP_PASSWORD,
                "-f",
                REPO.root().resolve("deploy/server/database.sql").toString())
            .redirectErrorStream(true)
            .redirectOutput(workDir.resolve("psql.log").toFile());
    psql.environment().put("PGPASSWORD", "postgres");
    Process run = psql.start();
    assertTrue(run.waitFor(60, TimeUnit.SECONDS), "psql did not finish");
    assertEquals(0, run.exitValue(), Files.readString(workDir.resolve("psql.log")));
  }

  @AfterAll
  static void dropEverything() throws Exception {
    if (workDir == null) {
      return;
    }
    dropDatabaseAndRoles();
    try (var paths = Files.walk(workDir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Test
  void theServerRunsAsTheApplicationRoleWhichCannotTouchTheAuditLogsProtection() throws Exception {
    String model = "roles-" + UUID.randomUUID().toString().substring(0, 8);
    try (ServerProcess server =
        ServerProcess.start(
            REPO,
            workDir,
            DATABASE,
            Map.of(
                "QUARKUS_DATASOURCE_USERNAME",
                APP,
                "QUARKUS_DATASOURCE_PASSWORD",
                APP_PASSWORD,
                "QUARKUS_FLYWAY_USERNAME",
                OWNER,
                "QUARKUS_FLYWAY_PASSWORD",
                OWNER_PASSWORD))) {
      server.admin().post("/api/v1/models", Map.of("name", model));
      server
          .admin()
          .post(
              "/api/v1/enrollment-tokens",
              Map.of("name", model, "maxUses", 1, "expiresInSeconds", 3600));
      JsonNode audit = server.admin().get("/api/v1/audit");
      assertTrue(audit.toString().contains("\"name\":\"" + model + "\""), audit.toString());
    }

    try (Connection app = connect(APP, APP_PASSWORD);
        Statement s = app.createStatement()) {
      for (String statement :
          List.of(
              "drop trigger audit_log_no_update_or_delete on audit_log",
              "alter table audit_log disable trigger all",
              "alter table audit_log owner to " + APP,
              "delete from audit_log",
              "update audit_log set actor = 'mallory'",
              "truncate audit_log",
              "create table notes (id int)")) {
        SQLException refused =
            assertThrows(
                SQLException.class,
                () -> s.execute(statement),
                "the server's role may not: " + statement);
        assertTrue(
            refused.getMessage().contains("must be owner")
                || refused.getMessage().contains("permission denied"),
            statement + ": " + refused.getMessage());
      }
    }
    try (Connection owner = connect(OWNER, OWNER_PASSWORD);
        Statement s = owner.createStatement();
        var triggers =
            s.executeQuery(
                "select count(*) from pg_trigger where tgrelid ="
                    + " 'audit_log'::regclass and tgenabled <> 'D' and not tgisinternal")) {
      triggers.next();
      assertEquals(2, triggers.getLong(1), "both append-only triggers still stand");
    }
  }

  @Test
  void theOwnerRoleAsTheServersRoleIsRefused() {
    ServerProcess.Refusal refusal =
        ServerProcess.startExpectingRefusal(
            REPO,
            workDir,
            DATABASE,
            Map.of(
                "QUARKUS_DATASOURCE_USERNAME",
                OWNER,
                "QUARKUS_DATASOURCE_PASSWORD",
                OWNER_PASSWORD,
                "QUARKUS_FLYWAY_USERNAME",
                OWNER,
                "QUARKUS_FLYWAY_PASSWORD",
                OWNER_PASSWORD));
    assertEquals(1, refusal.exitCode(), refusal.output());
    assertTrue(
        refusal
            .output()
            .contains(
                "the server connects to PostgreSQL as "
                    + OWNER
                    + ", which owns audit_log (as "
                    + OWNER
                    + ") and so could drop the audit log's"
                    + " append-only trigger"),
        refusal.output());
  }

  private static Connection connect(String user, String password) throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:5432/" + DATABASE, user, password);
  }

  private static void dropDatabaseAndRoles() throws SQLException {
    try (Connection admin =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "postgres");
        Statement s = admin.createStatement()) {
      s.execute("drop database if exists " + DATABASE + " with (force)");
      s.execute("drop role if exists " + APP);
      s.execute("drop role if exists " + OWNER);
    }
  }

  private static boolean psqlInstalled() {
    String path = System.getenv().getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, "psql"))) {
        return true;
      }
    }
    return false;
  }
}
