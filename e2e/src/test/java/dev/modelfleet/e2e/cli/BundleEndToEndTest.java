package dev.modelfleet.e2e.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.InferenceClient;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.FineTunes;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An offline site, with real processes: an operator makes bundles with the CLI for a device that is
 * off the network; the device's agent runs with no server address and imports them with {@code
 * modelfleet-agent import-bundle}. A tampered, truncated, expired or superseded bundle is refused
 * with its reason and the model in service stays; the good one is swapped in and serves. Back
 * online, the reports the agent queued reach the server, which shows the bundle in the device's
 * history.
 */
class BundleEndToEndTest {

  @RegisterExtension static final RunningFleet running = new RunningFleet();

  private static final Duration LIMIT = Duration.ofSeconds(180);

  @TempDir Path work;
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  @Test
  @Timeout(900)
  void anAgentWithoutAServerInstallsASignedBundleAndRefusesDamagedOnes() throws Exception {
    Fleet fleet = running.fleet();
    String name = "e2e-bundle-" + run;
    String model = "bundle-" + run;
    String selector = "bundle-run=" + run;
    AgentProcess online = fleet.startAgent(name, Map.of("bundle-run", run));
    String deviceId = fleet.deviceIdOf(online);
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", SampleModels.classifier(1, 64, 512, 10));
    fleet.assign(model, "1", selector);
    fleet.awaitActive(model, "1", List.of(online), LIMIT, line -> {});
    online.close();
    java.time.Instant wentOffline = java.time.Instant.now();

    // the device is off the network now; version 2 is meant for it
    fleet.createVersion(model, "2");
    fleet.uploadVariant(model, "2", SampleModels.classifier(2, 64, 512, 10));
    fleet.assign(model, "2", selector);

    CliProcess cli = loggedIn();
    Path expiring = work.resolve("expiring.tar");
    Path superseded = work.resolve("superseded.tar");
    Path good = work.resolve("good.tar");
    CliProcess.Result made =
        cli.run(
            "bundle",
            "create",
            "--devices",
            deviceId,
            "--expires",
            "1s",
            "-f",
            expiring.toString());
    assertEquals(0, made.exit(), made.toString());
    made =
        cli.run(
            "bundle",
            "create",
            "--devices",
            deviceId,
            "--expires",
            "30d",
            "-f",
            superseded.toString());
    assertEquals(0, made.exit(), made.toString());
    made =
        cli.run(
            "bundle", "create", "--selector", selector, "--expires", "30d", "-f", good.toString());
    assertEquals(0, made.exit(), made.toString());
    assertTrue(made.out().contains("wrote bundle "), made.toString());
    String bundleId = made.out().split("wrote bundle ")[1].split(" ")[0];

    // a bad request is a clear error, no file
    CliProcess.Result tooLong =
        cli.run(
            "bundle",
            "create",
            "--devices",
            deviceId,
            "--expires",
            "9999d",
            "-f",
            work.resolve("x.tar").toString());
    assertTrue(tooLong.exit() != 0 && tooLong.err().contains("max-expiry"), tooLong.toString());
    assertTrue(!Files.exists(work.resolve("x.tar")));

    // a heartbeat kept every second while offline, to see them reach the server later
    AgentProcess offline = fleet.startOfflineAgent(name, "--offline-heartbeat-interval", "1");
    InferenceClient client = new InferenceClient(offline.inferenceUri());
    Waits.until(
        "the offline agent serves version 1",
        LIMIT,
        () -> "1".equals(versionServed(client, model)) ? true : null);

    byte[] bytes = Files.readAllBytes(good);
    Path tampered = work.resolve("tampered.tar");
    byte[] flipped = bytes.clone();
    // inside the last artifact (~130 kB): the tar ends with its padding and two zero blocks
    flipped[flipped.length - 4096] ^= 0x20;
    Files.write(tampered, flipped);
    Path truncated = work.resolve("truncated.tar");
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length * 2 / 3));

    assertRefused(offline, tampered, "bundle-entry-modified", client, model);
    assertRefused(offline, truncated, "bundle-truncated", client, model);
    assertRefused(offline, expiring, "bundle-expired", client, model);

    Result imported = importBundle(offline, good);
    assertEquals(0, imported.exit(), imported.toString());
    assertTrue(imported.out().contains("installed"), imported.toString());
    assertEquals(
        "2", versionServed(client, model), "the bundle's version is swapped in and serves");

    // an older bundle, valid and signed, is a rollback once a newer one was installed
    assertRefused(offline, superseded, "generation-rollback", client, model, "2");
    Waits.until(
        "the offline agent kept heartbeats",
        LIMIT,
        () -> Files.exists(offline.stateDir().resolve("offline-heartbeats.pb")) ? true : null);
    offline.close();
    java.time.Instant wentOnline = java.time.Instant.now();

    // back online: the queued reports reach the server, which names the bundle
    AgentProcess again = fleet.restartAgent(name);
    JsonNode line =
        Waits.until(
            "the device's history shows version 2 from bundle " + bundleId,
            LIMIT,
            () -> {
              for (JsonNode h : fleet.admin().getAll("/api/v1/devices/" + deviceId + "/history")) {
                if ("active".equals(h.path("kind").asText())
                    && "2".equals(h.path("version").asText())
                    && bundleId.equals(h.path("bundleId").asText())) {
                  return h;
                }
              }
              return null;
            });
    assertTrue(line.path("cause").asText().contains("from bundle " + bundleId), line.toString());
    assertEquals(
        "2",
        new InferenceClient(again.inferenceUri())
            .inferWithSyntheticInputs(model)
            .path("model_version")
            .asText());
    // the heartbeats made offline arrive with their own times: the device's health history has
    // figures from before it came back
    Waits.until(
        "a health sample from while the device was offline",
        LIMIT,
        () -> healthSampleBetween(deviceId, wentOffline, wentOnline) ? true : null);
    JsonNode bundle = fleet.admin().get("/api/v1/bundles/" + bundleId);
    assertEquals(deviceId, bundle.path("deviceIds").get(0).asText(), bundle.toString());
    assertTrue(
        fleet.admin().getText("/api/v1/audit").contains("/api/v1/bundles"),
        "the bundle's creation is audited");
  }

  private static boolean healthSampleBetween(
      String deviceId, java.time.Instant from, java.time.Instant until) {
    try (java.sql.Connection c =
            java.sql.DriverManager.getConnection(
                dev.modelfleet.e2e.TestDatabase.jdbcUrl(), "postgres", "postgres");
        java.sql.PreparedStatement s =
            c.prepareStatement(
                "select count(*) from device_health_samples where device_id = ?::uuid"
                    + " and at > ? and at < ?")) {
      s.setString(1, deviceId);
      s.setTimestamp(2, java.sql.Timestamp.from(from));
      s.setTimestamp(3, java.sql.Timestamp.from(until));
      try (java.sql.ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1) > 0;
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  @Timeout(600)
  void anAgentOutsideEverySelectorInstallsTheBundleOfItsHardwareClass() throws Exception {
    Fleet fleet = running.fleet();
    String name = "e2e-class-" + run;
    String model = "class-" + run;
    AgentProcess online = fleet.startAgent(name, Map.of("class-run", run));
    String deviceId = fleet.deviceIdOf(online);
    String classId =
        Waits.until(
            "the device's hardware class is known",
            LIMIT,
            () -> {
              String id =
                  fleet.admin().get("/api/v1/devices/" + deviceId).path("hardwareClassId").asText();
              return id.isEmpty() ? null : id;
            });
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", SampleModels.classifier(3, 64, 512, 10));
    // nothing is assigned to this device: only its class's bundle will bring the model. The
    // server lists the device as soon as Enroll answered; the agent stores its identity after.
    Waits.until(
        "the agent stored its enrollment",
        LIMIT,
        () -> Files.exists(online.stateDir().resolve("identity.json")) ? true : null);
    online.close();

    CliProcess cli = loggedIn();
    Path file = work.resolve("class.tar");
    CliProcess.Result made =
        cli.run(
            "bundle",
            "create",
            "--classes",
            classId,
            "--model",
            model + "=1",
            "--expires",
            "7d",
            "-f",
            file.toString());
    assertEquals(0, made.exit(), made.toString());
    String bundleId = made.out().split("wrote bundle ")[1].split(" ")[0];

    AgentProcess offline = fleet.startOfflineAgent(name);
    InferenceClient client = new InferenceClient(offline.inferenceUri());
    Result imported = importBundle(offline, file);
    assertEquals(0, imported.exit(), imported.toString());
    assertTrue(imported.out().contains("installed"), imported.toString());
    assertEquals("1", versionServed(client, model), "the class's model serves");
    // the same class state again is an old one now: refused, the model stays
    assertRefused(offline, file, "class-state-rollback", client, model, "1");
    offline.close();

    // a device that never enrolled, only the fleet's root key pinned, takes the class's state too
    Path fresh = work.resolve("never-enrolled");
    Files.createDirectories(
        fresh,
        java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
    Files.writeString(fresh.resolve("root.pem"), fleet.admin().getText("/api/v1/trust/root.pem"));
    try (AgentProcess newcomer =
        AgentProcess.startOffline(RepoLayout.find(), "e2e-newcomer-" + run, fresh)) {
      Result taken = importBundle(newcomer, file);
      assertEquals(0, taken.exit(), taken.toString());
      assertEquals(
          "1",
          versionServed(new InferenceClient(newcomer.inferenceUri()), model),
          "a device the server never met serves its class's model");
    }

    JsonNode bundle = fleet.admin().get("/api/v1/bundles/" + bundleId);
    assertEquals(classId, bundle.path("hardwareClasses").get(0).asText(), bundle.toString());
    assertEquals(0, bundle.path("deviceIds").size(), bundle.toString());
  }

  @Test
  @Timeout(600)
  void aFineTunedVersionTravelsAsADeltaInTheBundleAndIsRebuiltExactly() throws Exception {
    Fleet fleet = running.fleet();
    String name = "e2e-bundle-delta-" + run;
    String model = "bundle-delta-" + run;
    String selector = "bundle-delta-run=" + run;
    AgentProcess online = fleet.startAgent(name, Map.of("bundle-delta-run", run));
    String deviceId = fleet.deviceIdOf(online);
    // a 2 MB classifier and the same with its head fine-tuned (a tenth of the last Gemm's
    // values nudged by about 1 %), as in DeltaEndToEndTest
    byte[] v1 = SampleModels.classifier(191, 256, 2048, 10);
    byte[] v2 = FineTunes.fineTuned(v1, 2, 0.1, 192);
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    String sha1 = fleet.uploadVariant(model, "1", v1).path("sha256").asText();
    fleet.assign(model, "1", selector);
    fleet.awaitActive(model, "1", List.of(online), LIMIT, line -> {});
    Waits.until(
        "the device reports version 1 installed",
        LIMIT,
        () -> {
          for (JsonNode m : fleet.admin().get("/api/v1/devices/" + deviceId).path("installed")) {
            if (sha1.equals(m.path("sha256").asText()) && m.path("active").asBoolean()) {
              return true;
            }
          }
          return null;
        });
    online.close();

    fleet.createVersion(model, "2");
    String sha2 = fleet.uploadVariant(model, "2", v2).path("sha256").asText();
    JsonNode delta =
        Waits.until(
            "the delta from version 1 is weighed",
            LIMIT,
            () -> {
              JsonNode deltas = fleet.admin().get("/api/v1/models/" + model + "/versions/2/deltas");
              return deltas.size() >= 1 ? deltas.get(0) : null;
            });
    assertTrue(delta.path("kept").asBoolean(), delta.toString());
    fleet.assign(model, "2", selector);

    CliProcess cli = loggedIn();
    Path file = work.resolve("delta.tar");
    CliProcess.Result made =
        cli.run("bundle", "create", "--devices", deviceId, "-f", file.toString());
    assertEquals(0, made.exit(), made.toString());
    List<String> entries = tarEntries(file);
    assertTrue(entries.contains("artifacts/" + delta.path("sha256").asText()), entries.toString());
    assertTrue(!entries.contains("artifacts/" + sha2), "not the whole file: " + entries);
    long bundleBytes = Files.size(file);
    assertTrue(
        bundleBytes < v2.length / 4,
        "the bundle ("
            + bundleBytes
            + " bytes) is far smaller than the artifact ("
            + v2.length
            + ")");

    AgentProcess offline = fleet.startOfflineAgent(name);
    InferenceClient client = new InferenceClient(offline.inferenceUri());
    Waits.until(
        "the offline agent serves version 1",
        LIMIT,
        () -> "1".equals(versionServed(client, model)) ? true : null);
    Result imported = importBundle(offline, file);
    assertEquals(0, imported.exit(), imported.toString());
    assertArrayEquals(
        v2,
        Files.readAllBytes(offline.stateDir().resolve("artifacts").resolve(sha2 + ".onnx")),
        "the file rebuilt from the bundle's delta is version 2, byte for byte");
    assertEquals("2", versionServed(client, model), "and serves");
    offline.close();
  }

  /** The names of a tar's entries (ustar: a 512-byte header, then the content padded to 512). */
  private static List<String> tarEntries(Path file) throws Exception {
    List<String> names = new ArrayList<>();
    try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
      byte[] header = new byte[512];
      while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
        String entry = new String(header, 0, 100, java.nio.charset.StandardCharsets.US_ASCII);
        String prefix = new String(header, 345, 155, java.nio.charset.StandardCharsets.US_ASCII);
        entry = entry.substring(0, entry.indexOf('\0') < 0 ? 100 : entry.indexOf('\0'));
        prefix = prefix.substring(0, prefix.indexOf('\0') < 0 ? 155 : prefix.indexOf('\0'));
        names.add(prefix.isEmpty() ? entry : prefix + "/" + entry);
        String octal =
            new String(header, 124, 12, java.nio.charset.StandardCharsets.US_ASCII)
                .replace("\0", "")
                .trim();
        long size = Long.parseLong(octal, 8);
        in.skipNBytes((size + 511) / 512 * 512);
      }
    }
    return names;
  }

  private static String versionServed(InferenceClient client, String model) {
    try {
      return client.inferWithSyntheticInputs(model).path("model_version").asText();
    } catch (RuntimeException e) {
      return null;
    }
  }

  private void assertRefused(
      AgentProcess agent, Path bundle, String reason, InferenceClient client, String model)
      throws Exception {
    assertRefused(agent, bundle, reason, client, model, "1");
  }

  private void assertRefused(
      AgentProcess agent,
      Path bundle,
      String reason,
      InferenceClient client,
      String model,
      String serving)
      throws Exception {
    Result result = importBundle(agent, bundle);
    assertEquals(1, result.exit(), result.toString());
    assertTrue(result.err().contains(reason), "refused for " + reason + ": " + result);
    assertEquals(serving, versionServed(client, model), "the model in service stays: " + result);
  }

  record Result(int exit, String out, String err) {}

  private Result importBundle(AgentProcess agent, Path bundle) throws Exception {
    List<String> command = new ArrayList<>(List.of(ServerProcess.javaBin()));
    command.addAll(AgentProcess.JVM_FLAGS);
    command.addAll(
        List.of(
            "-jar",
            RepoLayout.find().agentJar().toString(),
            "import-bundle",
            bundle.toString(),
            "--state-dir",
            agent.stateDir().toString()));
    Path out = Files.createTempFile(work, "import", ".out");
    Path err = Files.createTempFile(work, "import", ".err");
    Process process =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!process.waitFor(300, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("import-bundle did not finish in 300 s");
    }
    return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
  }

  private CliProcess loggedIn() {
    CliProcess cli = new CliProcess(work.resolve("home").resolve("config.yaml"));
    CliProcess.Result login =
        cli.runWithInput(
            running.server().adminToken() + "\n",
            "login",
            "--server",
            running.server().baseUri().toString(),
            "--token",
            "-",
            "--name",
            "e2e");
    assertEquals(0, login.exit(), login.toString());
    return cli;
  }
}
