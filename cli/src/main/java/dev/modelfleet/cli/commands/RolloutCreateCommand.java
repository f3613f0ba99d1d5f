package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.progress.RolloutWatch;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code rollouts create}: a rollout from a plan file and/or options. */
@Command(
    name = "create",
    description = {
      "Create a rollout from a plan file (YAML or JSON: the fields of POST /api/v1/rollouts),",
      "from options, or both (options override the file). Without --start or --start-at it",
      "waits as 'created' for rollouts start."
    },
    footerHeading = "%nPlan file:%n",
    footer = {
      "  name: vad 2.1 to Berlin",
      "  model: vad",
      "  version: \"2.1\"",
      "  selector: site=berlin",
      "  waves: [{percent: 1}, {percent: 10}, {percent: 50, requireApproval: true}, {percent: 100}]",
      "  defaults: {successThreshold: 98, failureThreshold: 2, soakSeconds: 600}",
      "  gates: {errorRateTolerance: 0.5, latencyTolerance: 20, minRequests: 200}",
      "  onBreach: rollback",
      "",
      "Examples:",
      "  modelfleet rollouts create -f plan.yaml --start --watch",
      "  modelfleet rollouts create --model vad --version 2.1 --selector site=berlin \\",
      "      --waves 1,10,50,100 --require-approval 3 --success-threshold 98 --soak 10m \\",
      "      --gate errorRateTolerance=0.5 --on-breach rollback --start",
      "  modelfleet rollouts create -f plan.yaml --shadow comparison=top1>=0.99 \\",
      "      --shadow minSamples=500 --shadow-waves 1,2 --start",
      "  modelfleet rollouts create -f plan.yaml --version 2.2 --start-at 2026-12-01T02:00:00Z \\",
      "      --on-conflict queue"
    })
final class RolloutCreateCommand extends SessionCommand {
  static final String PLAN_HINT =
      "a plan is a YAML or JSON mapping with model, version, selector and optionally waves,"
          + " defaults, gates, onBreach (see modelfleet rollouts create --help, docs/rollouts.md)";

  @Option(
      names = {"-f", "--file"},
      paramLabel = "PLAN",
      description = "The plan, YAML or JSON ('-': standard input).")
  String file;

  @Option(names = "--name")
  String name;

  @Option(names = "--model")
  String model;

  @Option(names = "--version")
  String version;

  @Option(
      names = {"-l", "--selector"},
      description = "Label selector over active devices ('' selects all).")
  String selector;

  @Option(
      names = "--waves",
      split = ",",
      paramLabel = "PERCENT",
      description = "Cumulative percentages, the last 100 (default 1,10,50,100).")
  List<Integer> waves;

  @Option(
      names = "--require-approval",
      split = ",",
      paramLabel = "WAVE",
      description = "Waves (numbered from 1) that wait for rollouts approve before they start.")
  List<Integer> approvalWaves;

  @Option(names = "--success-threshold", description = "Percent of a wave that must succeed (95).")
  Double successThreshold;

  @Option(names = "--failure-threshold", description = "Percent of a wave that may fail (5).")
  Double failureThreshold;

  @Option(
      names = "--soak",
      converter = Converters.DurationConverter.class,
      description = "Least time a wave runs before the next (60s).")
  Duration soak;

  @Option(
      names = "--timeout",
      converter = Converters.DurationConverter.class,
      description = "A device not active this long after it was told gets a verdict (15m).")
  Duration timeout;

  @Option(names = "--on-timeout", description = "failed (default) or skipped.")
  String onTimeout;

  @Option(
      names = "--gate",
      paramLabel = "NAME=VALUE",
      description =
          "A health gate: errorRateTolerance, latencyTolerance, minRequests, providerFallback.")
  Map<String, String> gates = new LinkedHashMap<>();

  @Option(
      names = "--shadow",
      paramLabel = "NAME=VALUE",
      description =
          "A shadow phase setting, merged into the plan's shadow: comparison, sampleRate,"
              + " maxPerSecond, minSamples, minSeconds, maxSeconds, maxLatencyRatio,"
              + " maxFailurePercent, validationSet, idleSeconds.")
  Map<String, String> shadow = new LinkedHashMap<>();

  @Option(
      names = "--shadow-waves",
      split = ",",
      paramLabel = "WAVE",
      description =
          "Waves (numbered from 1) that go through the shadow phase; the others cut over at once"
              + " (default: every wave).")
  List<Integer> shadowWaves;

  @Option(names = "--on-breach", description = "pause (default) or rollback.")
  String onBreach;

  @Option(names = "--join-late", description = "Devices that match later join the running wave.")
  Boolean joinLate;

  @Option(names = "--accuracy-floor")
  Double accuracyFloor;

  @Option(names = "--on-conflict", description = "refuse (default) or queue.")
  String onConflict;

  @Option(names = "--start", description = "Start at once.")
  boolean start;

  @Option(names = "--start-at", paramLabel = "INSTANT", description = "Start then (ISO-8601).")
  Instant startAt;

  @Option(names = "--watch", description = "Watch it after creating it (as rollouts watch).")
  boolean watch;

  @Option(
      names = "--no-exit-on-pause",
      negatable = true,
      defaultValue = "true",
      description = "With --watch: stop watching when it pauses (default: yes).")
  boolean exitOnPause;

  @Override
  protected int run() {
    ObjectNode plan = plan();
    JsonNode rollout = api().post(ApiPath.api("rollouts"), plan);
    String id = rollout.path("id").asText();
    if (watch) {
      if (!format().structured()) {
        out().println("rollout " + id + " created");
      }
      return new RolloutWatch(
              api(),
              id,
              out(),
              err(),
              session().terminal(),
              format(),
              exitOnPause,
              5,
              session().clock())
          .run();
    }
    printDone(
        rollout,
        "rollout "
            + id
            + " created ("
            + Text.cell(rollout.path("state"))
            + ")"
            + ("created".equals(rollout.path("state").asText())
                ? "; start it: modelfleet rollouts start " + id
                : "; follow it: modelfleet rollouts watch " + id));
    return 0;
  }

  ObjectNode plan() {
    ObjectNode plan =
        file == null
            ? Formats.JSON.createObjectNode()
            : (ObjectNode) Documents.readObject(file, session().in(), "plan", PLAN_HINT);
    put(plan, "name", name);
    put(plan, "model", model);
    put(plan, "version", version);
    put(plan, "selector", selector);
    put(plan, "onBreach", onBreach);
    put(plan, "onConflict", onConflict);
    if (joinLate != null) {
      plan.put("joinLate", joinLate);
    }
    if (accuracyFloor != null) {
      plan.put("accuracyFloor", accuracyFloor);
    }
    if (start) {
      plan.put("start", true);
    }
    if (startAt != null) {
      plan.put("startAt", startAt.toString());
      plan.remove("start");
    }
    if (waves != null) {
      ArrayNode list = plan.putArray("waves");
      waves.forEach(p -> list.addObject().put("percent", p));
    }
    if (approvalWaves != null) {
      JsonNode list = plan.path("waves");
      for (int wave : approvalWaves) {
        if (!list.isArray() || wave < 1 || wave > list.size()) {
          throw CliException.usage(
              "--require-approval "
                  + wave
                  + ": the plan has "
                  + (list.isArray() ? list.size() : 0)
                  + " explicit wave(s)",
              "give the waves (--waves 1,10,50,100 or waves in the plan) and number them from 1");
        }
        ((ObjectNode) list.get(wave - 1)).put("requireApproval", true);
      }
    }
    ObjectNode defaults =
        plan.path("defaults").isObject()
            ? (ObjectNode) plan.get("defaults")
            : Formats.JSON.createObjectNode();
    if (successThreshold != null) {
      defaults.put("successThreshold", successThreshold);
    }
    if (failureThreshold != null) {
      defaults.put("failureThreshold", failureThreshold);
    }
    if (soak != null) {
      defaults.put("soakSeconds", soak.toSeconds());
    }
    if (timeout != null) {
      defaults.put("timeoutSeconds", timeout.toSeconds());
    }
    put(defaults, "onTimeout", onTimeout);
    if (!defaults.isEmpty()) {
      plan.set("defaults", defaults);
    }
    if (!gates.isEmpty()) {
      ObjectNode gateNode =
          plan.path("gates").isObject() ? (ObjectNode) plan.get("gates") : plan.putObject("gates");
      gates.forEach((k, v) -> gateNode.set(k, scalar(v)));
    }
    shadowPhase(plan);
    for (String required : List.of("model", "version", "selector")) {
      if (!plan.path(required).isTextual()) {
        throw CliException.usage(
            "the plan has no " + required + (file == null ? "" : " (" + file + ")"),
            "give it in the plan file or as --" + required);
      }
    }
    return plan;
  }

  /** --shadow settings merged into the plan's shadow phase; --shadow-waves as its waves. */
  private void shadowPhase(ObjectNode plan) {
    if (!shadow.isEmpty()) {
      ObjectNode phase =
          plan.path("shadow").isObject()
              ? (ObjectNode) plan.get("shadow")
              : plan.putObject("shadow");
      // the comparison stays text: "top1>=0.99" is not a number, and neither is a sha256 id
      shadow.forEach(
          (k, v) ->
              phase.set(
                  k,
                  k.equals("comparison") || k.equals("validationSet")
                      ? Formats.JSON.getNodeFactory().textNode(v)
                      : scalar(v)));
    }
    if (shadowWaves != null) {
      if (!plan.path("shadow").isObject()) {
        throw CliException.usage(
            "--shadow-waves: the plan has no shadow phase",
            "give one in the plan file (shadow: {comparison: ...}) or with --shadow"
                + " comparison=top1>=0.99");
      }
      int count = plan.path("waves").isArray() ? plan.get("waves").size() : 0;
      ArrayNode indexes = ((ObjectNode) plan.get("shadow")).putArray("waves");
      for (int wave : shadowWaves) {
        if (wave < 1 || (count > 0 && wave > count)) {
          throw CliException.usage(
              "--shadow-waves " + wave + ": the plan has " + count + " explicit wave(s)",
              "number the waves from 1 (--waves 1,10,50,100 has waves 1 to 4)");
        }
        indexes.add(wave - 1); // the plan counts waves from 0
      }
    }
  }

  private static void put(ObjectNode node, String field, String value) {
    if (value != null) {
      node.put(field, value);
    }
  }

  /** A number, true/false, or text, as the value looks. */
  private static JsonNode scalar(String value) {
    if (value.equals("true") || value.equals("false")) {
      return Formats.JSON.getNodeFactory().booleanNode(Boolean.parseBoolean(value));
    }
    try {
      return Formats.JSON.getNodeFactory().numberNode(new BigDecimal(value));
    } catch (NumberFormatException e) {
      return Formats.JSON.getNodeFactory().textNode(value);
    }
  }
}
