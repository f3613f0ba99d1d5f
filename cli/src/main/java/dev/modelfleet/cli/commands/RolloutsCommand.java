package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.progress.RolloutScreen;
import dev.modelfleet.cli.progress.RolloutWatch;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "rollouts",
    header = "Staged rollouts: create, watch live, pause, resume, roll back.",
    aliases = "rollout",
    description = {
      "Staged rollouts: a version moved to the devices a selector picks, wave by wave, gated on",
      "install success and health (docs/rollouts.md)."
    },
    subcommands = {
      RolloutsCommand.Create.class,
      RolloutsCommand.ListRollouts.class,
      RolloutsCommand.Get.class,
      RolloutsCommand.Devices.class,
      RolloutsCommand.Watch.class,
      RolloutsCommand.Start.class,
      RolloutsCommand.Pause.class,
      RolloutsCommand.Resume.class,
      RolloutsCommand.Abort.class,
      RolloutsCommand.Rollback.class,
      RolloutsCommand.Approve.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet rollouts create -f plan.yaml --start --watch",
      "  modelfleet rollouts create --model vad --version 2.1 --selector site=berlin \\",
      "      --waves 1,10,50,100 --soak 10m --on-breach rollback --start",
      "  modelfleet rollouts watch 3b1f0c2d-...",
      "  modelfleet rollouts devices 3b1f0c2d-... --state failed"
    })
public final class RolloutsCommand extends Group {

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
        "  modelfleet rollouts create -f plan.yaml --version 2.2 --start-at 2026-12-01T02:00:00Z \\",
        "      --on-conflict queue"
      })
  static final class Create extends SessionCommand {
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

    @Option(
        names = "--success-threshold",
        description = "Percent of a wave that must succeed (95).")
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
            plan.path("gates").isObject()
                ? (ObjectNode) plan.get("gates")
                : plan.putObject("gates");
        gates.forEach((k, v) -> gateNode.set(k, scalar(v)));
      }
      for (String required : List.of("model", "version", "selector")) {
        if (!plan.path(required).isTextual()) {
          throw CliException.usage(
              "the plan has no " + required + (file == null ? "" : " (" + file + ")"),
              "give it in the plan file or as --" + required);
        }
      }
      return plan;
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
        return Formats.JSON.getNodeFactory().numberNode(new java.math.BigDecimal(value));
      } catch (NumberFormatException e) {
        return Formats.JSON.getNodeFactory().textNode(value);
      }
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "Rollouts, newest first.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet rollouts list --state running --model vad")
  static final class ListRollouts extends SessionCommand {
    @Option(
        names = "--state",
        description =
            "created, scheduled, queued, running, paused, completed, aborted, rolling_back,"
                + " rolled_back")
    String state;

    @Option(names = "--model")
    String model;

    @Option(names = "--limit", description = "Stop after this many (default: all).")
    long limit;

    @Override
    protected int run() {
      Instant now = session().clock().instant();
      printList(
          ApiPath.api("rollouts").query("state", state).query("model", model),
          limit,
          List.of(
              Column.of("ID", "id"),
              Column.of("NAME", "name"),
              Column.of("MODEL", "model"),
              Column.of("VERSION", "version"),
              Column.of("STATE", "state"),
              Column.of(
                  "WAVE",
                  r ->
                      r.path("waves").asInt() == 0
                          ? ""
                          : Math.min(r.path("waves").asInt(), r.path("currentWave").asInt() + 1)
                              + "/"
                              + r.path("waves").asInt()),
              Column.of("CREATED", r -> Text.age(r.path("createdAt"), now)),
              Column.wide("SELECTOR", "selector"),
              Column.wide("STARTED", "startedAt"),
              Column.wide("FINISHED", "finishedAt"),
              Column.wide("REASON", "stateReason")),
          "No rollouts.");
      return 0;
    }
  }

  @Command(
      name = "get",
      aliases = "describe",
      description = "One rollout: its progress per wave, gate figures, problems and events.",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet rollouts get 3b1f0c2d-...",
        "  modelfleet rollouts get 3b1f0c2d-... -o json | jq .totals"
      })
  static final class Get extends SessionCommand {
    @Parameters(paramLabel = "ROLLOUT_ID")
    String id;

    @Option(
        names = "--events",
        defaultValue = "10",
        description = "Latest events shown (${DEFAULT-VALUE}).")
    int events;

    @Override
    protected int run() {
      JsonNode rollout = api().get(ApiPath.api("rollouts", id));
      print(
          rollout,
          out -> {
            RolloutScreen screen =
                new RolloutScreen(session().terminal(), events, session().clock().getZone());
            screen.screen(rollout, session().clock().instant()).forEach(out::println);
            if (rollout.path("problems").size() > 0) {
              new Describe(out)
                  .section("Problems")
                  .table(
                      rollout.path("problems"),
                      List.of(
                          Column.of("DEVICE", "deviceId"),
                          Column.of("WAVE", p -> Integer.toString(p.path("wave").asInt() + 1)),
                          Column.of("STATE", "state"),
                          Column.of("REASON", "reason")));
            }
          });
      return 0;
    }
  }

  @Command(
      name = "devices",
      description = "The rollout's devices, page by page, optionally only those in one state.",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet rollouts devices 3b1f0c2d-... --state failed",
        "  modelfleet rollouts devices 3b1f0c2d-... -o wide"
      })
  static final class Devices extends SessionCommand {
    @Parameters(paramLabel = "ROLLOUT_ID")
    String id;

    @Option(
        names = "--state",
        description =
            "waiting, pending, downloading, verifying, loading, active, failed, skipped, offline,"
                + " rolled_back")
    String state;

    @Option(names = "--limit", description = "Stop after this many (default: all).")
    long limit;

    @Override
    protected int run() {
      printList(
          ApiPath.api("rollouts", id, "devices").query("state", state),
          limit,
          List.of(
              Column.of("DEVICE", "deviceId"),
              Column.of("WAVE", d -> Integer.toString(d.path("wave").asInt() + 1)),
              Column.of("STATE", "state"),
              Column.of("HARDWARE CLASS", "hardwareClassId"),
              Column.wide("GEN", "generation"),
              Column.wide("VARIANT", "variantId"),
              Column.wide("PREVIOUS", "previousVariantId"),
              Column.wide("ASSIGNED", "assignedAt"),
              Column.of("REASON", "reason")),
          "No devices" + (state == null ? "" : " in state " + Text.printable(state)) + ".");
      return 0;
    }
  }

  @Command(
      name = "watch",
      description = {
        "Follow a rollout live until it ends: one bar per wave stacked by device state, the gate",
        "figures and the latest events, updated as the server reports changes (server-sent",
        "events; no polling). On a terminal the view is redrawn in place; piped, a line is",
        "printed per change; -o json prints each new state of the rollout as one JSON line.",
        "Exits 0 when it completed, 4 when it was aborted, rolled back, or paused (pausing does",
        "not end a rollout, but it waits for a person: --no-exit-on-pause keeps watching)."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet rollouts watch 3b1f0c2d-...",
        "  modelfleet rollouts watch 3b1f0c2d-... --no-exit-on-pause | tee rollout.log",
        "  modelfleet rollouts watch 3b1f0c2d-... -o json | jq -c '{state, totals}'"
      })
  static final class Watch extends SessionCommand {
    @Parameters(paramLabel = "ROLLOUT_ID")
    String id;

    @Option(
        names = "--no-exit-on-pause",
        negatable = true,
        defaultValue = "true",
        description = "Stop watching (exit 4) when the rollout pauses (default: yes).")
    boolean exitOnPause;

    @Option(
        names = "--events",
        defaultValue = "5",
        description = "Latest events shown (${DEFAULT-VALUE}).")
    int events;

    @Override
    protected int run() {
      return new RolloutWatch(
              api(),
              id,
              out(),
              err(),
              session().terminal(),
              format(),
              exitOnPause,
              events,
              session().clock())
          .run();
    }
  }

  /** An action on a rollout: POST .../{action}, optionally with a reason. */
  abstract static class Action extends SessionCommand {
    @Parameters(paramLabel = "ROLLOUT_ID")
    String id;

    abstract String action();

    String reason() {
      return null;
    }

    @Override
    protected int run() {
      JsonNode rollout =
          api()
              .post(
                  ApiPath.api("rollouts", id, action()),
                  reason() == null ? null : Map.of("reason", reason()));
      printDone(
          rollout,
          "rollout "
              + Text.cell(rollout.path("id"))
              + ": "
              + Text.cell(rollout.path("state"))
              + (rollout.path("stateReason").isTextual()
                  ? " (" + Text.cell(rollout.path("stateReason")) + ")"
                  : ""));
      return 0;
    }
  }

  abstract static class ActionWithReason extends Action {
    @Option(names = "--reason", description = "Why (kept in the rollout's events).")
    String reason;

    @Override
    String reason() {
      return reason;
    }
  }

  @Command(
      name = "start",
      description = "Start a created rollout now.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet rollouts start 3b1f0c2d-...")
  static final class Start extends Action {
    @Override
    String action() {
      return "start";
    }
  }

  @Command(
      name = "pause",
      description = "Pause a running rollout: no new wave starts, devices told stay told.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet rollouts pause 3b1f0c2d-... --reason 'waiting for the vendor'")
  static final class Pause extends ActionWithReason {
    @Override
    String action() {
      return "pause";
    }
  }

  @Command(
      name = "resume",
      description = "Resume a paused rollout; the failures so far are accepted.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet rollouts resume 3b1f0c2d-...")
  static final class Resume extends Action {
    @Override
    String action() {
      return "resume";
    }
  }

  @Command(
      name = "abort",
      description = "Stop a rollout for good; devices keep what they run now.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet rollouts abort 3b1f0c2d-... --reason 'wrong selector'")
  static final class Abort extends ActionWithReason {
    @Override
    String action() {
      return "abort";
    }
  }

  @Command(
      name = "rollback",
      description = "Point every device the rollout changed back at what it ran before.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet rollouts rollback 3b1f0c2d-... --reason 'latency regression'")
  static final class Rollback extends ActionWithReason {
    @Override
    String action() {
      return "rollback";
    }
  }

  @Command(
      name = "approve",
      description = "Let the wave that awaits approval start.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet rollouts approve 3b1f0c2d-...")
  static final class Approve extends Action {
    @Override
    String action() {
      return "approve";
    }
  }
}
