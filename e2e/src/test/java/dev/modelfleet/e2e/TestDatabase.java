package dev.modelfleet.e2e;

/**
 * The PostgreSQL database the end-to-end tests give their servers. Overridable with
 * MODELFLEET_E2E_DATABASE so that two checkouts can run their suites on one machine at once.
 */
public final class TestDatabase {

  public static final String NAME =
      System.getenv().getOrDefault("MODELFLEET_E2E_DATABASE", "modelfleet_e2e");

  private TestDatabase() {}

  public static String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:5432/" + NAME;
  }
}
