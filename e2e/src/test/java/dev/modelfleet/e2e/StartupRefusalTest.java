package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged server, started as in production, refuses settings that are only fit for a
 * developer's machine, and says what to set instead: a missing, short or example admin token,
 * missing database passwords, and a database role that could drop the audit log's trigger.
 */
class StartupRefusalTest {

  private static final String RANDOM_TOKEN =
      "a random value of at least 32 characters, e.g. `openssl rand -hex 32`";

  private final RepoLayout repo = RepoLayout.find();
  private Path workDir;

  @BeforeEach
  void workDir() throws IOException {
    workDir = Files.createTempDirectory("modelfleet-refusal-");
  }

  @AfterEach
  void removeWorkDir() throws IOException {
    try (var paths = Files.walk(workDir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Test
  void withoutAnAdminTokenItSaysHowToMakeOne() {
    String output = refused(without("MODELFLEET_ADMIN_TOKEN"));
    assertTrue(
        output.contains(
            "MODELFLEET_ADMIN_TOKEN is not set: set MODELFLEET_ADMIN_TOKEN to " + RANDOM_TOKEN),
        output);
  }

  @Test
  void aShortAdminTokenIsRefused() {
    String output = refused(Map.of("MODELFLEET_ADMIN_TOKEN", "0123456789abcdef0123456789abcde"));
    assertTrue(output.contains("MODELFLEET_ADMIN_TOKEN has only 31 characters"), output);
    assertTrue(output.contains(RANDOM_TOKEN), output);
  }

  @Test
  void theExampleAdminTokenFromTheDeploymentTemplateIsRefused() throws IOException {
    String example = exampleValue("MODELFLEET_ADMIN_TOKEN");
    assertTrue(example.length() >= 32, "long enough to pass for a real one: " + example);
    String output = refused(Map.of("MODELFLEET_ADMIN_TOKEN", example));
    assertTrue(output.contains("MODELFLEET_ADMIN_TOKEN is an example value"), output);
    assertFalse(output.contains(example), "a refusal does not print the secret: " + output);
  }

  @Test
  void withoutDatabasePasswordsItRefusesAndNamesBoth() {
    Map<String, String> env = without("QUARKUS_DATASOURCE_PASSWORD");
    env.put("QUARKUS_FLYWAY_PASSWORD", null);
    String output = refused(env);
    assertTrue(
        output.contains(
            "QUARKUS_DATASOURCE_PASSWORD is not set: set it to the password of"
                + " the server's database role, QUARKUS_DATASOURCE_USERNAME"),
        output);
    assertTrue(output.contains("QUARKUS_FLYWAY_PASSWORD is not set"), output);
    assertTrue(output.contains("no database password is built in outside dev and test"), output);
  }

  @Test
  void theExampleDatabasePasswordIsRefused() throws IOException {
    String output =
        refused(Map.of("QUARKUS_DATASOURCE_PASSWORD", exampleValue("QUARKUS_DATASOURCE_PASSWORD")));
    assertTrue(output.contains("QUARKUS_DATASOURCE_PASSWORD is an example value"), output);
  }

  @Test
  void runningAsTheDatabaseSuperuserIsRefused() {
    String output =
        refused(
            Map.of(
                "QUARKUS_DATASOURCE_USERNAME",
                "postgres",
                "QUARKUS_DATASOURCE_PASSWORD",
                "postgres"));
    assertTrue(
        output.contains(
            "the server connects to PostgreSQL as postgres, which is a superuser"
                + " and so could drop the audit log's append-only trigger"),
        output);
    assertTrue(output.contains("QUARKUS_DATASOURCE_USERNAME"), output);
  }

  /** Starts the server with these changes to a working environment; its output once it exits. */
  private String refused(Map<String, String> envChanges) {
    ServerProcess.Refusal refusal =
        ServerProcess.startExpectingRefusal(repo, workDir, TestDatabase.NAME, envChanges);
    assertEquals(1, refusal.exitCode(), refusal.output());
    assertTrue(
        refusal.output().contains("ModelFleet refuses to start in production"), refusal.output());
    return refusal.output();
  }

  private static Map<String, String> without(String variable) {
    Map<String, String> env = new HashMap<>();
    env.put(variable, null);
    return env;
  }

  /** The value deploy/server/server.env.example gives {@code variable}. */
  private String exampleValue(String variable) throws IOException {
    return Files.readAllLines(repo.root().resolve("deploy/server/server.env.example")).stream()
        .filter(line -> line.startsWith(variable + "="))
        .map(line -> line.substring(variable.length() + 1))
        .findFirst()
        .orElseThrow(() -> new AssertionError(variable + " is not in server.env.example"));
  }
}
