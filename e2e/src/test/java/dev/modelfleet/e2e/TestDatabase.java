package dev.modelfleet.e2e;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The PostgreSQL database the end-to-end tests give their servers. Overridable with
 * MODELFLEET_E2E_DATABASE so that two checkouts can run their suites on one machine at once.
 *
 * <p>The suite runs its classes in several JVMs at once (surefire forks, e2e/pom.xml). A fork gets
 * a database of its own, the name suffixed with its fork number, dropped and made anew when the
 * fork starts: classes in one fork share it one after the other, as they always have, and no class
 * sees another fork's servers or a previous run's rows.
 */
public final class TestDatabase {

  private static final String BASE =
      System.getenv().getOrDefault("MODELFLEET_E2E_DATABASE", "modelfleet_e2e");
  private static final String FORK = Forks.number();

  public static final String NAME = FORK.isBlank() ? BASE : BASE + "_" + FORK;

  static {
    if (!FORK.isBlank()) {
      recreate(NAME);
    }
  }

  private TestDatabase() {}

  public static String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:5432/" + NAME;
  }

  private static void recreate(String database) {
    // the owner role deploy/dev/ensure-postgres.sh sets up; the server's migrations run as it
    try (Connection c =
            DriverManager.getConnection(
                "jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "postgres");
        Statement s = c.createStatement()) {
      s.execute("drop database if exists \"" + database + "\" with (force)");
      s.execute("create database \"" + database + "\"");
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not make the test database "
              + database
              + " on 127.0.0.1:5432: run deploy/dev/ensure-postgres.sh first",
          e);
    }
  }
}
