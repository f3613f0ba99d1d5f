package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.TestDatabase;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docs/operations.md's backup and restore, done as written with deploy/server/backup.sh and
 * restore.sh: a server with an enrolled device and a model rolled out to it is backed up, its
 * database and directories are deleted, and a server restored into a new database and new
 * directories carries on: the same root metadata and fleet CA, the device's certificate accepted,
 * the model's artifact served to a new device that verifies it, and a new version rolled out to
 * both. The databases are made with deploy/server/database.sql, with the production roles.
 */
class BackupRestoreTest {

  private static final String ORIGINAL = TestDatabase.NAME + "_backup";
  private static final String RESTORED = TestDatabase.NAME + "_restored";
  private static final String OWNER = ORIGINAL + "_owner";
  private static final String APP = ORIGINAL + "_app";
  private static final String OWNER_PASSWORD = UUID.randomUUID().toString();
  private static final String APP_PASSWORD = UUID.randomUUID().toString();
  private static final Duration DEPLOY_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(2);

  private static final RepoLayout REPO = RepoLayout.find();
  private static Path pgBin;
  private static Path work;

  private final List<AutoCloseable> running = new ArrayList<>();
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void databasesFromTheProductionScript() throws Exception {
    pgBin = newestPostgresBin();
    Assumptions.assumeTrue(pgBin != null, "no /usr/lib/postgresql/*/bin with pg_dump");
    dropDatabasesAndRoles();
    work = Files.createTempDirectory("modelfleet-backup-");
    psql(
            "-v",
            "database=" + ORIGINAL,
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
        .ok();
  }

  @AfterEach
  void stopEverything() throws Exception {
    for (int i = running.size() - 1; i >= 0; i--) {
      running.get(i).close();
    }
  }

  @AfterAll
  static void dropEverything() throws Exception {
    if (work == null) {
      return;
    }
    dropDatabasesAndRoles();
    try (Stream<Path> paths = Files.walk(work)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  @Test
  void aServerRestoredIntoANewDatabaseAndNewDirectoriesCarriesOnWithTheSameFleet()
      throws Exception {
    Path before = Files.createDirectories(work.resolve("before"));
    ServerProcess original = start(before, ORIGINAL);
    Fleet fleet = keep(new Fleet(REPO, original, before));
    String rootPem = original.admin().getText("/api/v1/trust/root.pem");
    String fleetCaPem = original.admin().getText("/api/v1/trust/fleet-ca.pem");
    JsonNode root = original.admin().get("/api/v1/trust/root");
    String model = "backup-" + run;
    AgentProcess device = fleet.startAgent("backup-" + run, Map.of("backup-run", run));
    String deviceId = fleet.deviceIdOf(device);
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    String sha256 =
        fleet.uploadVariant(model, "1", SampleModels.classifier(1)).path("sha256").asText();
    fleet.assign(model, "1", "backup-run=" + run);
    fleet.awaitActive(model, "1", List.of(device), DEPLOY_TIMEOUT, line -> {});

    Path backup = work.resolve("backup");
    Command backedUp =
        Command.run(
                SCRIPT_TIMEOUT,
                settings(before, ORIGINAL),
                null,
                List.of(script("backup.sh"), backup.toString()))
            .ok();
    assertEquals(
        List.of("SHA256SUMS", "artifacts.tar", "database.dump", "keys.tar"),
        fileNames(backup),
        backedUp.output());
    assertEquals("rwx------", permissions(backup), "the backup holds the signing keys");

    // Everything the backup came from is gone: only the backup can bring the fleet back.
    device.close();
    original.close();
    dropDatabase(ORIGINAL);
    delete(before.resolve("keys"));
    delete(before.resolve("artifacts"));
    psql(
            "-v",
            "existing_roles=true",
            "-v",
            "database=" + RESTORED,
            "-v",
            "owner=" + OWNER,
            "-v",
            "app=" + APP,
            "-f",
            REPO.root().resolve("deploy/server/database.sql").toString())
        .ok();
    Path after = Files.createDirectories(work.resolve("after"));
    Command.run(
            SCRIPT_TIMEOUT,
            settings(after, RESTORED),
            null,
            List.of(script("restore.sh"), backup.toString()))
        .ok();
    assertEquals("rwx------", permissions(after.resolve("keys")));
    Command again =
        Command.run(
            SCRIPT_TIMEOUT,
            settings(Files.createDirectories(work.resolve("again")), RESTORED),
            null,
            List.of(script("restore.sh"), backup.toString()));
    assertNotEquals(0, again.exitCode(), again.output());
    assertTrue(again.output().contains("restore into an empty one"), again.output());

    ServerProcess restored = start(after, RESTORED);
    Fleet restoredFleet = new Fleet(REPO, restored, after);
    assertEquals(rootPem, restored.admin().getText("/api/v1/trust/root.pem"));
    assertEquals(fleetCaPem, restored.admin().getText("/api/v1/trust/fleet-ca.pem"));
    assertEquals(
        root.path("signedEnvelopeBase64"),
        restored.admin().get("/api/v1/trust/root").path("signedEnvelopeBase64"));
    assertEquals(sha256, sha256Of(after.resolve("artifacts"), sha256));

    // The device that enrolled before the backup reconnects with the certificate it holds, and
    // trusts the restored server with the root key and fleet CA it was given at the start.
    Instant reconnected = Instant.now();
    AgentProcess reconnecting =
        keep(
            AgentProcess.start(
                REPO,
                device.name(),
                restored.grpcTarget(),
                null,
                before.resolve("root.pub.pem"),
                device.stateDir(),
                "--server-ca",
                before.resolve("fleet-ca.pem").toString()));
    Waits.until(
        device.name() + " to sync with the restored server (log: " + reconnecting.log() + ")",
        Duration.ofSeconds(60),
        () -> {
          reconnecting.requireAliveFor("syncing");
          String lastSeen =
              restored.admin().get("/api/v1/devices/" + deviceId).path("lastSeenAt").asText("");
          return !lastSeen.isEmpty() && Instant.parse(lastSeen).isAfter(reconnected);
        });

    // A device enrolling now downloads the restored artifact and checks its sha256.
    String newcomerName = "backup-new-" + run;
    AgentProcess newcomer =
        keep(
            AgentProcess.start(
                REPO,
                newcomerName,
                restored.grpcTarget(),
                restoredFleet.mintToken(newcomerName, Map.of("backup-run", run)),
                before.resolve("root.pub.pem"),
                after.resolve(newcomerName),
                "--server-ca",
                before.resolve("fleet-ca.pem").toString()));
    restored
        .admin()
        .post(
            "/api/v1/models/" + model + "/versions/1/assignments",
            Map.of("deviceId", restoredFleet.deviceIdOf(newcomer)));
    awaitActive(restoredFleet, model, "1", List.of(newcomer), restored);

    // Desired states carry on from the restored generations (a device refuses an older one), and
    // the device from before downloads, verifies and activates a version published after.
    restoredFleet.createVersion(model, "2");
    restoredFleet.uploadVariant(model, "2", SampleModels.classifier(2));
    restoredFleet.assign(model, "2", "backup-run=" + run);
    awaitActive(restoredFleet, model, "2", List.of(reconnecting, newcomer), restored);
  }

  /** Waits for the agents to run that version, and fails with their logs and the server's. */
  private static void awaitActive(
      Fleet fleet, String model, String version, List<AgentProcess> agents, ServerProcess server) {
    try {
      fleet.awaitActive(model, version, agents, DEPLOY_TIMEOUT, System.out::println);
    } catch (IllegalStateException e) {
      StringBuilder logs = new StringBuilder(e.getMessage());
      for (AgentProcess agent : agents) {
        logs.append("\n").append(agent.name()).append(":\n").append(agent.logTail(40));
      }
      throw new AssertionError(logs + "\nserver:\n" + server.logTail(40), e);
    }
  }

  private ServerProcess start(Path workDir, String database) {
    return keep(ServerProcess.start(REPO, workDir, database, roles()));
  }

  private <T extends AutoCloseable> T keep(T process) {
    running.add(process);
    return process;
  }

  private static Map<String, String> roles() {
    return Map.of(
        "QUARKUS_DATASOURCE_USERNAME", APP,
        "QUARKUS_DATASOURCE_PASSWORD", APP_PASSWORD,
        "QUARKUS_FLYWAY_USERNAME", OWNER,
        "QUARKUS_FLYWAY_PASSWORD", OWNER_PASSWORD);
  }

  /** The server's settings the scripts read, as server.env would give them. */
  private static Map<String, String> settings(Path workDir, String database) {
    Map<String, String> env = new java.util.HashMap<>(roles());
    env.put("QUARKUS_DATASOURCE_JDBC_URL", "jdbc:postgresql://127.0.0.1:5432/" + database);
    env.put("MODELFLEET_KEY_DIR", workDir.resolve("keys").toString());
    env.put("MODELFLEET_ARTIFACT_DIR", workDir.resolve("artifacts").toString());
    env.put("PG_BIN", pgBin.toString());
    return env;
  }

  private static String script(String name) {
    return REPO.root().resolve("deploy/server").resolve(name).toString();
  }

  /** The sha256 of the restored store's file of that name, wherever the store keeps it. */
  private static String sha256Of(Path store, String sha256) throws Exception {
    Path file;
    try (Stream<Path> paths = Files.walk(store)) {
      file =
          paths
              .filter(path -> path.getFileName().toString().startsWith(sha256))
              .filter(Files::isRegularFile)
              .findFirst()
              .orElseThrow(() -> new AssertionError("no file " + sha256 + " under " + store));
    }
    MessageDigest digest = MessageDigest.getInstance("SHA-256");
    return HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
  }

  private static List<String> fileNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(path -> path.getFileName().toString()).sorted().toList();
    }
  }

  private static String permissions(Path path) throws IOException {
    return java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(path));
  }

  private static Command psql(String... args) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                pgBin.resolve("psql").toString(),
                "-X",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres"));
    argv.addAll(List.of(args));
    return Command.run(SCRIPT_TIMEOUT, Map.of("PGPASSWORD", "postgres"), null, argv);
  }

  private static Path newestPostgresBin() throws IOException {
    Path versions = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(versions)) {
      return null;
    }
    try (Stream<Path> dirs = Files.list(versions)) {
      return dirs.map(dir -> dir.resolve("bin"))
          .filter(bin -> Files.isExecutable(bin.resolve("pg_dump")))
          .max(
              Comparator.comparingInt(
                  bin -> Integer.parseInt(bin.getParent().getFileName().toString())))
          .orElse(null);
    }
  }

  private static void delete(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    }
  }

  private static void dropDatabase(String database) throws SQLException {
    try (Connection admin = superuser();
        Statement s = admin.createStatement()) {
      s.execute("drop database if exists " + database + " with (force)");
    }
  }

  private static void dropDatabasesAndRoles() throws SQLException {
    dropDatabase(ORIGINAL);
    dropDatabase(RESTORED);
    try (Connection admin = superuser();
        Statement s = admin.createStatement()) {
      s.execute("drop role if exists " + APP);
      s.execute("drop role if exists " + OWNER);
    }
  }

  private static Connection superuser() throws SQLException {
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "postgres");
  }
}
