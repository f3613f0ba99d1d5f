package dev.modelfleet.server.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The secrets a production server needs, and what is wrong with them: an admin token that is
 * missing, short or copied from an example, and database passwords that are missing or copied from
 * an example. Each problem says which variable to set and how.
 */
record ProductionSettings(
    Optional<String> adminToken,
    Optional<String> databasePassword,
    Optional<String> migrationPassword) {

  static final int MIN_ADMIN_TOKEN_LENGTH = 32;

  /**
   * Admin tokens that appear in deploy/server/server.env.example, the docs and
   * application.properties: whoever runs with one runs with a secret the whole world can read. (Any
   * value containing "change-me" counts as an example too, for passwords as well.)
   */
  private static final Set<String> EXAMPLE_TOKENS =
      Set.of("change-me-to-a-long-random-secret", "dev-admin-token", "test-admin-token");

  private static final String RANDOM_TOKEN =
      "set MODELFLEET_ADMIN_TOKEN to a random value of at"
          + " least "
          + MIN_ADMIN_TOKEN_LENGTH
          + " characters, e.g. `openssl rand -hex 32`";

  /** What to fix, one line per setting; empty when the settings are fit for production. */
  List<String> problems() {
    List<String> problems = new ArrayList<>();
    adminTokenProblem().ifPresent(problems::add);
    passwordProblem(
            databasePassword,
            "QUARKUS_DATASOURCE_PASSWORD",
            "the password of the server's database role, QUARKUS_DATASOURCE_USERNAME (default"
                + " modelfleet_app), which may only read and write rows")
        .ifPresent(problems::add);
    passwordProblem(
            migrationPassword,
            "QUARKUS_FLYWAY_PASSWORD",
            "the password of the role that owns the schema and runs the migrations,"
                + " QUARKUS_FLYWAY_USERNAME (default modelfleet_owner)")
        .ifPresent(problems::add);
    return problems;
  }

  /** The message a refused start prints. */
  static String refusal(List<String> problems) {
    return "ModelFleet refuses to start in production with these settings:\n- "
        + String.join("\n- ", problems)
        + "\nSee docs/operations.md (Server, and Database roles).";
  }

  private Optional<String> adminTokenProblem() {
    String token = adminToken.map(String::strip).orElse("");
    if (token.isEmpty()) {
      return Optional.of("MODELFLEET_ADMIN_TOKEN is not set: " + RANDOM_TOKEN + ".");
    }
    if (EXAMPLE_TOKENS.contains(token.toLowerCase(Locale.ROOT)) || isPlaceholder(token)) {
      return Optional.of(
          "MODELFLEET_ADMIN_TOKEN is an example value from the documentation: "
              + RANDOM_TOKEN
              + ".");
    }
    if (token.length() < MIN_ADMIN_TOKEN_LENGTH) {
      return Optional.of(
          "MODELFLEET_ADMIN_TOKEN has only "
              + token.length()
              + " characters: "
              + RANDOM_TOKEN
              + ".");
    }
    return Optional.empty();
  }

  private static Optional<String> passwordProblem(
      Optional<String> password, String variable, String whatItIs) {
    String value = password.map(String::strip).orElse("");
    if (value.isEmpty()) {
      return Optional.of(
          variable
              + " is not set: set it to "
              + whatItIs
              + "; no database password is built in outside dev and test.");
    }
    if (isPlaceholder(value)) {
      return Optional.of(
          variable
              + " is an example value: set it to "
              + whatItIs
              + ", a random one, e.g. `openssl rand -hex 24`.");
    }
    return Optional.empty();
  }

  private static boolean isPlaceholder(String value) {
    String lower = value.toLowerCase(Locale.ROOT);
    return lower.contains("change-me") || lower.contains("changeme");
  }
}
