package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.progress.RolloutScreen;
import dev.modelfleet.cli.progress.RolloutWatch;
import java.time.Instant;
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
      RolloutCreateCommand.class,
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
