package dev.modelfleet.e2e.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.e2e.Ports;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.e2e.sim.SimulatedFleet;
import dev.modelfleet.e2e.sim.SimulatorOptions;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line driven as an operator would drive it, each command a process of its own, against
 * the packaged server and simulated devices speaking the real protocol: log in, publish a model,
 * derive variants, enroll devices, roll the version out from a plan file and follow it.
 */
class CliEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DEVICES = 6;

  @RegisterExtension static final RunningFleet running = RunningFleet.plaintextAgents();

  @TempDir Path work;
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  /** A float32 .npy of this shape with seeded Gaussian values, header padded as NumPy pads it. */
  private static byte[] npy(int... shape) {
    StringBuilder dims = new StringBuilder();
    int n = 1;
    for (int d : shape) {
      dims.append(d).append(", ");
      n *= d;
    }
    String dict =
        "{'descr': '<f4', 'fortran_order': False, 'shape': ("
            + dims.substring(0, dims.length() - 2)
            + "), }";
    int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
    byte[] header = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.US_ASCII);
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.allocate(10 + header.length + 4 * n)
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
    b.putShort((short) header.length).put(header);
    java.util.Random random = new java.util.Random(3);
    for (int i = 0; i < n; i++) {
      b.putFloat((float) random.nextGaussian());
    }
    return b.array();
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

  private static JsonNode json(CliProcess.Result result) {
    assertEquals(0, result.exit(), result.toString());
    try {
      return JSON.readTree(result.out());
    } catch (java.io.IOException e) {
      throw new AssertionError("not JSON: " + result, e);
    }
  }

  @Test
  @Timeout(600)
  void anOperatorPublishesDerivesAndRollsOutAModelFromTheCommandLine() throws Exception {
    CliProcess cli = loggedIn();
    assertEquals(
        "rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(cli.config())));
    String model = "cli-" + run;
    String site = "cli-" + run;

    // publish two versions, creating the model and versions on the way
    Path v1 = work.resolve("classifier-1.onnx");
    Path v2 = work.resolve("classifier-2.onnx");
    SampleModels.writeClassifier(v1, 1);
    SampleModels.writeClassifier(v2, 2);
    JsonNode pushed =
        json(
            cli.run(
                "variants",
                "push",
                model,
                "1",
                v1.toString(),
                "--precision",
                "fp32",
                "--ep",
                "cpu",
                "--create",
                "-o",
                "json"));
    assertEquals(model, pushed.path("model").asText());
    assertEquals("fp32", pushed.path("precision").asText());
    assertEquals(sha256(v1), pushed.path("sha256").asText());
    json(
        cli.run(
            "variants",
            "push",
            model,
            "2",
            v2.toString(),
            "--precision",
            "fp32",
            "--ep",
            "cpu",
            "--create",
            "-o",
            "json"));

    // derive int8 and fp16 from version 2's fp32 variant on 8 validation samples sent as a
    // NumPy .npy ([8, 1, 4] float32, as numpy.save writes it), waiting for the job
    Path samples = work.resolve("validation.npy");
    Files.write(samples, npy(8, 1, 4));
    CliProcess.Result derive =
        cli.run(
            "variants",
            "derive",
            model,
            "2",
            "--kinds",
            "int8-dynamic,fp16",
            "--samples",
            samples.toString(),
            "--wait",
            "-o",
            "json");
    JsonNode job = json(derive);
    assertEquals("succeeded", job.path("state").asText(), derive.toString());
    assertTrue(derive.err().contains("derivation "), "progress on standard error: " + derive.err());
    assertTrue(
        derive.err().contains("server checked the samples in "),
        "upload progress: " + derive.err());
    Set<String> precisions = new TreeSet<>();
    json(cli.run("versions", "get", model, "2", "-o", "json"))
        .path("variants")
        .forEach(v -> precisions.add(v.path("precision").asText()));
    assertEquals(Set.of("fp16", "fp32", "int8"), precisions);

    // enroll simulated devices with a token made here, trusting the root key read here
    JsonNode token =
        json(
            cli.run(
                "enrollment-tokens",
                "create",
                site,
                "--label",
                "site=" + site,
                "--max-uses",
                Integer.toString(DEVICES),
                "--expires-in",
                "1h",
                "-o",
                "json"));
    Path rootKey = work.resolve("root.pub.pem");
    CliProcess.Result pem = cli.run("trust", "root-pem");
    assertEquals(0, pem.exit(), pem.toString());
    Files.writeString(rootKey, pem.out());
    try (SimulatedFleet devices =
        SimulatedFleet.start(
            SimulatorOptions.parse(
                "--server", running.server().grpcTarget(),
                "--token", token.path("token").asText(),
                "--devices", Integer.toString(DEVICES),
                "--heartbeat-millis", "500",
                "--download-path", "http",
                "--root-key", rootKey.toString(),
                "--name-prefix", site),
            System.err)) {
      Waits.until(
          DEVICES + " devices connected",
          Duration.ofSeconds(60),
          () -> devices.snapshot().connected() == DEVICES);
      JsonNode listed =
          json(
              cli.run(
                  "devices",
                  "list",
                  "--selector",
                  "site=" + site,
                  "--status",
                  "active",
                  "-o",
                  "json"));
      assertEquals(DEVICES, listed.size(), listed.toString());

      // a plan file, created and watched in a real terminal until it completes
      Path plan = work.resolve("plan.yaml");
      Files.writeString(
          plan,
          String.join(
              "\n",
              "name: " + model + " 2 to " + site,
              "model: " + model,
              "version: \"2\"",
              "selector: site=" + site,
              "waves: [{percent: 50}, {percent: 100}]",
              "defaults: {successThreshold: 100, failureThreshold: 0, soakSeconds: 1, timeoutSeconds: 120}",
              "start: true",
              ""));
      List<String> screens;
      try (Tmux terminal =
          new Tmux(
              Tmux.modelfleet(
                  cli.config(),
                  List.of(),
                  "rollouts",
                  "create",
                  "-f",
                  plan.toString(),
                  "--watch"))) {
        screens =
            terminal.watchUntil(
                "the watch to end", Duration.ofMinutes(3), screen -> screen.contains("EXIT="));
      }
      String last = screens.get(screens.size() - 1);
      assertTrue(last.contains("EXIT=0"), String.join("\n=====\n", screens));
      assertTrue(last.contains("rollout completed: 6 of 6 device(s) active"), last);
      assertTrue(
          screens.stream().anyMatch(s -> s.contains(" wave 2 ") && s.contains("legend:")),
          "a bar per wave: " + String.join("\n=====\n", screens));
      // the CLI says so when it must fall back to asking every two seconds: it followed the
      // server's change stream instead
      assertTrue(
          screens.stream().noneMatch(s -> s.contains("no rollout change stream")),
          "watched through the change stream: " + String.join("\n=====\n", screens));

      JsonNode rollout = json(cli.run("rollouts", "list", "--model", model, "-o", "json")).path(0);
      String id = rollout.path("id").asText();
      JsonNode done = json(cli.run("rollouts", "get", id, "-o", "json"));
      assertEquals("completed", done.path("state").asText(), done.toString());
      assertEquals(DEVICES, done.path("totals").path("byState").path("active").asInt());
      JsonNode members =
          json(cli.run("rollouts", "devices", id, "--state", "active", "-o", "json"));
      assertEquals(DEVICES, members.size());
      JsonNode history =
          json(
              cli.run(
                  "devices", "history", members.path(0).path("deviceId").asText(), "-o", "json"));
      assertTrue(
          history.findValuesAsText("rolloutId").contains(id),
          "the device's history names the rollout");

      // watching a rollout that has ended says how it ended, at once
      CliProcess.Result watch = cli.run("rollouts", "watch", id);
      assertEquals(0, watch.exit(), watch.toString());
      assertTrue(watch.out().contains("rollout completed: 6 of 6 device(s) active"), watch.out());
      assertFalse(watch.out().contains("\033"), "no cursor movement or colour in a pipe");
      assertFalse(watch.err().contains("no rollout change stream"), watch.toString());
    }
  }

  @Test
  @Timeout(300)
  void anAdminRunsTheArtifactCollectorFromTheCommandLine() throws Exception {
    CliProcess cli = loggedIn();
    Path onnx = work.resolve("gc.onnx");
    SampleModels.writeClassifier(onnx, 4);
    json(
        cli.run(
            "variants",
            "push",
            "gc-" + run,
            "1",
            onnx.toString(),
            "--precision",
            "fp32",
            "--ep",
            "cpu",
            "--create",
            "-o",
            "json"));

    JsonNode dry = json(cli.run("artifacts", "gc", "--dry-run", "-o", "json"));
    assertTrue(dry.path("ran").asBoolean(), dry.toString());
    assertTrue(dry.path("dryRun").asBoolean(), dry.toString());
    assertTrue(dry.path("referenced").asInt() >= 1, "the pushed variant's file is referenced");
    assertFalse(
        dry.path("collected").toString().contains(sha256(onnx)),
        "a referenced artifact is never collected: " + dry);
    CliProcess.Result human = cli.run("artifacts", "gc", "--dry-run");
    assertEquals(0, human.exit(), human.toString());
    assertTrue(human.out().contains("dry run (nothing removed)"), human.out());

    JsonNode viewer =
        json(
            cli.run(
                "access-tokens", "create", "gc-viewer-" + run, "--role", "viewer", "-o", "json"));
    CliProcess.Result forbidden =
        new CliProcess(work.resolve("gc-viewer.yaml"))
            .env("MODELFLEET_SERVER", running.server().baseUri().toString())
            .env("MODELFLEET_TOKEN", viewer.path("token").asText())
            .run("artifacts", "gc");
    assertEquals(5, forbidden.exit(), forbidden.toString());
  }

  @Test
  @Timeout(300)
  void eachFailureHasItsExitStatusAndSaysWhatToDo() throws Exception {
    CliProcess cli = loggedIn();
    String model = "errors-" + run;
    Path onnx = work.resolve("m.onnx");
    SampleModels.writeClassifier(onnx, 3);
    json(
        cli.run(
            "variants",
            "push",
            model,
            "1",
            onnx.toString(),
            "--precision",
            "fp32",
            "--ep",
            "cpu",
            "--create",
            "-o",
            "json"));

    // 2: the command line or a file is wrong, and nothing is sent
    CliProcess.Result unknown = cli.run("devices", "lst");
    assertEquals(2, unknown.exit(), unknown.toString());
    assertTrue(
        unknown.err().startsWith("error: Unmatched argument at index 1: 'lst'"), unknown.err());
    CliProcess.Result missing =
        cli.run(
            "variants",
            "push",
            model,
            "1",
            work.resolve("nope.onnx").toString(),
            "--precision",
            "fp32",
            "--ep",
            "cpu");
    assertEquals(2, missing.exit(), missing.toString());
    assertEquals(
        "error: no such file: "
            + work.resolve("nope.onnx")
            + "\nhint: give the path of an .onnx model file\n",
        missing.err());
    Path badPlan = work.resolve("bad.yaml");
    Files.writeString(badPlan, "model: " + model + "\nwaves: [{percent: 10}\n");
    CliProcess.Result unparsable = cli.run("rollouts", "create", "-f", badPlan.toString());
    assertEquals(2, unparsable.exit(), unparsable.toString());
    assertTrue(
        unparsable.err().startsWith("error: plan " + badPlan + " does not parse (line"),
        unparsable.err());
    assertTrue(
        unparsable.err().contains("hint: a plan is a YAML or JSON mapping"), unparsable.err());

    // 3: not found
    CliProcess.Result notFound = cli.run("versions", "get", model, "9");
    assertEquals(3, notFound.exit(), notFound.toString());
    assertTrue(notFound.err().startsWith("error: not-found: "), notFound.err());

    // 4: refused, with the server's code and a hint
    CliProcess.Result duplicate =
        cli.run(
            "variants", "push", model, "1", onnx.toString(), "--precision", "fp32", "--ep", "cpu");
    assertEquals(4, duplicate.exit(), duplicate.toString());
    assertTrue(duplicate.err().contains("error: duplicate-variant: "), duplicate.err());
    assertTrue(
        duplicate.err().contains("(HTTP 409)\nhint: push it as a new version"), duplicate.err());
    Path plan = work.resolve("plan.json");
    Files.writeString(
        plan,
        "{\"model\": \""
            + model
            + "\", \"version\": \"1\", \"selector\": \"\","
            + " \"waves\": [{\"percent\": 50}, {\"percent\": 20}]}");
    CliProcess.Result refusedPlan = cli.run("rollouts", "create", "-f", plan.toString());
    assertEquals(4, refusedPlan.exit(), refusedPlan.toString());
    assertTrue(refusedPlan.err().startsWith("error: invalid-rollout-plan: "), refusedPlan.err());

    // 5: a token the server refuses, or a role that may not
    CliProcess stranger = new CliProcess(work.resolve("stranger.yaml"));
    CliProcess.Result wrongToken =
        stranger.run(
            "login", "--server", running.server().baseUri().toString(), "--token", "not-a-token");
    assertEquals(5, wrongToken.exit(), wrongToken.toString());
    assertTrue(
        wrongToken
            .err()
            .contains("hint: the token is wrong, expired or revoked: run modelfleet login"),
        wrongToken.err());
    assertFalse(Files.exists(work.resolve("stranger.yaml")), "nothing saved");
    JsonNode viewer =
        json(cli.run("access-tokens", "create", "viewer-" + run, "--role", "viewer", "-o", "json"));
    CliProcess.Result forbidden =
        new CliProcess(work.resolve("viewer.yaml"))
            .env("MODELFLEET_SERVER", running.server().baseUri().toString())
            .env("MODELFLEET_TOKEN", viewer.path("token").asText())
            .run("models", "create", "not-allowed-" + run);
    assertEquals(5, forbidden.exit(), forbidden.toString());
    assertTrue(forbidden.err().startsWith("error: forbidden: "), forbidden.err());

    // 7: nothing listens there
    CliProcess.Result unreachable =
        new CliProcess(work.resolve("x.yaml"))
            .env("MODELFLEET_SERVER", "http://127.0.0.1:" + Ports.free())
            .env("MODELFLEET_TOKEN", "t")
            .run("status");
    assertEquals(7, unreachable.exit(), unreachable.toString());
    assertTrue(unreachable.err().contains("connection refused"), unreachable.err());
    assertTrue(unreachable.err().contains("hint: check the server URL"), unreachable.err());

    // 0, with -o json the API's own objects, -o yaml the same
    JsonNode status = json(cli.run("status", "-o", "json"));
    assertEquals("UP", status.path("health").path("status").asText(), status.toString());
    assertEquals("accepted", status.path("token").asText());
    CliProcess.Result yaml = cli.run("models", "get", model, "-o", "yaml");
    assertEquals(0, yaml.exit());
    assertTrue(yaml.out().contains("name: " + model), yaml.out());
  }

  @Test
  @Timeout(300)
  void uploadProgressIsRedrawnInATerminalAndPlainWhenPipedOrWithNoColor() throws Exception {
    Assumptions.assumeTrue(Tmux.available(), "tmux is not installed");
    CliProcess cli = loggedIn();
    String model = "progress-" + run;
    Path big = work.resolve("big.onnx");
    Files.write(big, SampleModels.classifier(7, 4096, 4000, 3)); // 62.6 MiB
    List<String> screens;
    try (Tmux terminal =
        new Tmux(
            Tmux.modelfleet(
                cli.config(),
                List.of(),
                "variants",
                "push",
                model,
                "1",
                big.toString(),
                "--precision",
                "fp32",
                "--ep",
                "cpu",
                "--create"))) {
      screens =
          terminal.watchUntil("the push to end", Duration.ofMinutes(3), s -> s.contains("EXIT="));
    }
    String all = String.join("\n=====\n", screens);
    String last = screens.get(screens.size() - 1);
    assertTrue(last.contains("EXIT=0"), all);
    assertTrue(last.contains("uploaded big.onnx: 62.6 MiB in "), last);
    assertTrue(last.contains("server checked the model in "), last);
    assertTrue(last.contains("published, signed"), last);
    assertFalse(last.contains("uploading big.onnx"), "the progress line was redrawn away: " + last);
    assertTrue(
        screens.stream()
            .anyMatch(
                s ->
                    s.lines()
                        .anyMatch(
                            l ->
                                l.matches("uploading big\\.onnx \\[[#.]{24}\\] .* MB/s .*")
                                    || l.matches("server checking the model\\.\\.\\. \\d+s"))),
        "a line redrawn in place while it ran: " + all);

    // NO_COLOR: the same terminal, but lines that stay
    try (Tmux terminal =
        new Tmux(
            Tmux.modelfleet(
                cli.config(),
                List.of("NO_COLOR=1"),
                "variants",
                "push",
                model,
                "2",
                big.toString(),
                "--precision",
                "fp32",
                "--ep",
                "cpu",
                "--create"))) {
      screens =
          terminal.watchUntil("the push to end", Duration.ofMinutes(3), s -> s.contains("EXIT="));
    }
    last = screens.get(screens.size() - 1);
    assertTrue(last.contains("EXIT=0"), last);
    assertTrue(last.contains("uploaded big.onnx: 62.6 MiB in "), last);
    assertTrue(last.contains("\nserver checking the model...\n"), "a line that stays: " + last);
    assertFalse(last.contains("[#"), "no redrawn bar: " + last);

    // piped: plain lines only, no carriage returns or escapes
    CliProcess.Result piped =
        cli.run(
            "variants",
            "push",
            model,
            "3",
            big.toString(),
            "--precision",
            "fp32",
            "--ep",
            "cpu",
            "--create");
    assertEquals(0, piped.exit(), piped.toString());
    assertTrue(piped.err().contains("uploaded big.onnx: 62.6 MiB in "), piped.err());
    assertTrue(piped.err().contains("server checking the model...\n"), piped.err());
    assertTrue(piped.err().chars().noneMatch(c -> c == '\r' || c == 0x1b), piped.err());
  }

  private static String sha256(Path file) throws Exception {
    return HexFormat.of()
        .formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }
}
