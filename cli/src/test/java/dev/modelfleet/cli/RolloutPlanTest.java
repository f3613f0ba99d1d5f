package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rollouts create sends the plan of a YAML or JSON file, with options on top. */
class RolloutPlanTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private FakeServer server;

  @BeforeEach
  void start() {
    server = FakeServer.http();
    server.json("POST", "/api/v1/rollouts", 201, "{\"id\":\"r1\",\"state\":\"running\"}");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Cli.Result run(String... args) {
    return new Cli(dir.resolve("c.yaml")).against(server, "t").run(args);
  }

  private String sent() {
    return server.requests("POST", "/api/v1/rollouts").get(0).bodyText();
  }

  @Test
  void aYamlPlanIsSentAsJsonWithTheOptionsOnTop() throws Exception {
    Path plan = dir.resolve("plan.yaml");
    Files.writeString(
        plan,
        """
        name: vad 2.1 to Berlin
        model: vad
        version: "2.1"
        selector: site=berlin
        waves: [{percent: 10}, {percent: 100}]
        defaults: {successThreshold: 98, soakSeconds: 600}
        gates: {latencyTolerance: 20}
        onBreach: rollback
        """);
    Cli.Result result =
        run(
            "rollouts",
            "create",
            "-f",
            plan.toString(),
            "--version",
            "2.2",
            "--start",
            "--require-approval",
            "2",
            "--failure-threshold",
            "2",
            "--gate",
            "minRequests=200",
            "--gate",
            "providerFallback=false");
    assertEquals(0, result.exit(), result.toString());
    assertEquals(
        JSON.readTree(
            """
            {"name": "vad 2.1 to Berlin", "model": "vad", "version": "2.2", "selector": "site=berlin",
             "waves": [{"percent": 10}, {"percent": 100, "requireApproval": true}],
             "defaults": {"successThreshold": 98, "soakSeconds": 600, "failureThreshold": 2.0},
             "gates": {"latencyTolerance": 20, "minRequests": 200, "providerFallback": false},
             "onBreach": "rollback", "start": true}
            """),
        JSON.readTree(sent()));
    assertEquals(
        "rollout r1 created (running); follow it: modelfleet rollouts watch r1\n", result.out());
  }

  @Test
  void optionsAloneMakeAPlan() throws Exception {
    Cli.Result result =
        run(
            "rollouts",
            "create",
            "--model",
            "vad",
            "--version",
            "2.1",
            "--selector",
            "",
            "--waves",
            "1,10,50,100",
            "--soak",
            "10m",
            "--timeout",
            "1h",
            "--on-conflict",
            "queue");
    assertEquals(0, result.exit(), result.toString());
    assertEquals(
        JSON.readTree(
            """
            {"model": "vad", "version": "2.1", "selector": "", "onConflict": "queue",
             "waves": [{"percent": 1}, {"percent": 10}, {"percent": 50}, {"percent": 100}],
             "defaults": {"soakSeconds": 600, "timeoutSeconds": 3600}}
            """),
        JSON.readTree(sent()));
  }

  @Test
  void shadowOptionsMergeIntoThePlansShadowPhaseWithWavesCountedFromOne() throws Exception {
    Path plan = dir.resolve("plan.yaml");
    Files.writeString(
        plan,
        """
        model: vad
        version: "2.1"
        selector: site=berlin
        waves: [{percent: 10}, {percent: 50}, {percent: 100}]
        shadow: {comparison: "cosine>=0.99", minSamples: 100}
        """);
    Cli.Result result =
        run(
            "rollouts",
            "create",
            "-f",
            plan.toString(),
            "--shadow",
            "comparison=top1>=0.99",
            "--shadow",
            "minSamples=500",
            "--shadow",
            "idleSeconds=30",
            "--shadow-waves",
            "1,2");
    assertEquals(0, result.exit(), result.toString());
    assertEquals(
        JSON.readTree(
            """
            {"model": "vad", "version": "2.1", "selector": "site=berlin",
             "waves": [{"percent": 10}, {"percent": 50}, {"percent": 100}],
             "shadow": {"comparison": "top1>=0.99", "minSamples": 500, "idleSeconds": 30,
                        "waves": [0, 1]}}
            """),
        JSON.readTree(sent()));
  }

  @Test
  void shadowWavesWithoutAShadowPhaseOrPastTheLastWaveAreUsageErrors() {
    Cli.Result noPhase =
        run(
            "rollouts",
            "create",
            "--model",
            "vad",
            "--version",
            "2",
            "--selector",
            "",
            "--waves",
            "10,100",
            "--shadow-waves",
            "1");
    assertEquals(ExitCode.USAGE, noPhase.exit(), noPhase.toString());
    assertTrue(
        noPhase.err().startsWith("error: --shadow-waves: the plan has no shadow phase"),
        noPhase.err());
    Cli.Result pastLast =
        run(
            "rollouts",
            "create",
            "--model",
            "vad",
            "--version",
            "2",
            "--selector",
            "",
            "--waves",
            "10,100",
            "--shadow",
            "comparison=top1>=0.99",
            "--shadow-waves",
            "3");
    assertEquals(ExitCode.USAGE, pastLast.exit(), pastLast.toString());
    assertTrue(pastLast.err().contains("the plan has 2 explicit wave(s)"), pastLast.err());
    assertEquals(0, server.requests().size());
  }

  @Test
  void aPlanThatDoesNotParseIsAUsageErrorNamingTheLineAndNothingIsSent() throws Exception {
    Path plan = dir.resolve("plan.yaml");
    Files.writeString(plan, "model: vad\nwaves: [{percent: 10}\nselector: x\n");
    Cli.Result result = run("rollouts", "create", "-f", plan.toString());
    assertEquals(ExitCode.USAGE, result.exit(), result.toString());
    assertTrue(
        result.err().startsWith("error: plan " + plan + " does not parse (line 2, column"),
        result.err());
    assertTrue(
        result
            .err()
            .contains("hint: a plan is a YAML or JSON mapping with model, version, selector"),
        result.err());
    assertEquals(0, server.requests().size());
  }

  @Test
  void aMissingPlanFileOrOneThatIsNoMappingOrLacksAFieldIsAUsageError() throws Exception {
    Cli.Result missing = run("rollouts", "create", "-f", dir.resolve("nope.yaml").toString());
    assertEquals(ExitCode.USAGE, missing.exit());
    assertTrue(
        missing.err().startsWith("error: no such file: " + dir.resolve("nope.yaml") + " (plan)"),
        missing.err());

    Path list = dir.resolve("list.yaml");
    Files.writeString(list, "- model: vad\n");
    Cli.Result notMapping = run("rollouts", "create", "-f", list.toString());
    assertEquals(ExitCode.USAGE, notMapping.exit());
    assertTrue(
        notMapping.err().contains("holds a list, not a mapping of fields"), notMapping.err());

    Path partial = dir.resolve("partial.json");
    Files.writeString(partial, "{\"model\": \"vad\", \"version\": \"2\"}");
    Cli.Result noSelector = run("rollouts", "create", "-f", partial.toString());
    assertEquals(ExitCode.USAGE, noSelector.exit());
    assertTrue(noSelector.err().startsWith("error: the plan has no selector"), noSelector.err());
    assertTrue(
        noSelector.err().contains("hint: give it in the plan file or as --selector"),
        noSelector.err());
    assertEquals(0, server.requests().size());
  }

  @Test
  void thePlanCanComeFromStandardInput() throws Exception {
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .stdin("{\"model\": \"vad\", \"version\": \"2\", \"selector\": \"a=b\"}")
            .run("rollouts", "create", "-f", "-", "-o", "json");
    assertEquals(0, result.exit(), result.toString());
    assertEquals("r1", JSON.readTree(result.out()).path("id").asText());
  }
}
