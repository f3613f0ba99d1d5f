package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Text;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "devices",
    header = "List, inspect, label, approve, reject, decommission devices.",
    aliases = "device",
    description = "Devices: list, inspect, label, approve, reject, decommission, benchmark.",
    subcommands = {
      DevicesCommand.ListDevices.class,
      DevicesCommand.Get.class,
      DevicesCommand.Label.class,
      DevicesCommand.Approve.class,
      DevicesCommand.Reject.class,
      DevicesCommand.Decommission.class,
      DevicesCommand.Benchmark.class,
      DevicesCommand.Match.class,
      DevicesCommand.History.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet devices list --selector 'site=plant-a,line in (3,4)' --status active",
      "  modelfleet devices list --status pending",
      "  modelfleet devices get 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71"
    })
public final class DevicesCommand extends Group {

  static List<Column> columns(Instant now) {
    return List.of(
        Column.of("ID", "id"),
        Column.of("NAME", "name"),
        Column.of("STATUS", "status"),
        Column.of("LAST SEEN", d -> Text.age(d.path("lastSeenAt"), now)),
        Column.of("AGENT", "agentVersion"),
        Column.wide("HARDWARE CLASS", "hardwareClassId"),
        Column.wide("ENROLLED", d -> Text.age(d.path("enrolledAt"), now)),
        Column.of("LABELS", d -> Text.labels(d.path("labels"))));
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = {
        "List devices, page by page (filtering happens on the server).",
        "Selector requirements, joined by commas: k=v, k!=v, k in (a,b), k notin (a,b), k, !k."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet devices list",
        "  modelfleet devices list -l 'site=plant-a,!maintenance' --status active -o wide",
        "  modelfleet devices list --status pending -o json | jq -r '.[].id'"
      })
  static final class ListDevices extends SessionCommand {
    @Option(
        names = {"-l", "--selector"},
        description = "Label selector the devices must match.")
    String selector;

    @Option(
        names = "--status",
        description = "Only devices with this status: ${COMPLETION-CANDIDATES}.",
        completionCandidates = Statuses.class)
    String status;

    @Option(names = "--limit", description = "Stop after this many devices (default: all).")
    long limit;

    @Override
    protected int run() {
      printList(
          ApiPath.api("devices").query("selector", selector).query("status", status),
          limit,
          columns(session().clock().instant()),
          "No devices found.");
      return 0;
    }
  }

  static final class Statuses implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return List.of("pending", "active", "rejected", "decommissioned").iterator();
    }
  }

  @Command(
      name = "get",
      aliases = "describe",
      description =
          "Everything about one device: hardware, benchmark, installed, desired, deployments.",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet devices get 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71",
        "  modelfleet devices get 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71 -o json"
      })
  static final class Get extends SessionCommand {
    @Parameters(paramLabel = "DEVICE_ID", description = "The device's id.")
    String id;

    @Override
    protected int run() {
      JsonNode device = api().get(ApiPath.api("devices", id));
      print(
          device,
          out ->
              DeviceDescription.describe(new Describe(out), device, session().clock().instant()));
      return 0;
    }
  }

  @Command(
      name = "label",
      description = {
        "Set or remove labels of a device: KEY=VALUE sets, KEY- removes, others stay.",
        "With --replace the device gets exactly the labels given."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet devices label 5d1e8f0c-... ring=canary",
        "  modelfleet devices label 5d1e8f0c-... maintenance-",
        "  modelfleet devices label 5d1e8f0c-... --replace site=plant-a line=3"
      })
  static final class Label extends SessionCommand {
    @Parameters(index = "0", paramLabel = "DEVICE_ID")
    String id;

    @Parameters(index = "1..*", paramLabel = "KEY=VALUE|KEY-", arity = "1..*")
    List<String> changes;

    @Option(names = "--replace", description = "Replace all labels with the ones given.")
    boolean replace;

    @Override
    protected int run() {
      Map<String, String> labels = new LinkedHashMap<>();
      if (!replace) {
        api()
            .get(ApiPath.api("devices", id))
            .path("labels")
            .fields()
            .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      }
      for (String change : changes) {
        int eq = change.indexOf('=');
        if (eq > 0) {
          labels.put(change.substring(0, eq), change.substring(eq + 1));
        } else if (change.endsWith("-") && change.length() > 1 && !replace) {
          labels.remove(change.substring(0, change.length() - 1));
        } else {
          throw CliException.usage(
              "'" + Text.printable(change) + "' is neither KEY=VALUE nor KEY-",
              "e.g. modelfleet devices label ID ring=canary maintenance-");
        }
      }
      JsonNode device = api().put(ApiPath.api("devices", id, "labels"), Map.of("labels", labels));
      printDone(
          device,
          "device "
              + Text.cell(device.path("id"))
              + " labels: "
              + Text.labels(device.path("labels")));
      return 0;
    }
  }

  @Command(
      name = "approve",
      description = "Let pending devices join the fleet (pending -> active).",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet devices approve 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71",
        "  modelfleet devices approve $(modelfleet devices list --status pending -o json | jq -r '.[].id')"
      })
  static final class Approve extends SessionCommand {
    @Parameters(paramLabel = "DEVICE_ID", arity = "1..*")
    List<String> ids;

    @Override
    protected int run() {
      return forEach(ids, id -> statusChange(this, id, "approve", "approved"));
    }
  }

  @Command(
      name = "reject",
      description = "Refuse pending devices: their credentials stop working (pending -> rejected).",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet devices reject 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71")
  static final class Reject extends SessionCommand {
    @Parameters(paramLabel = "DEVICE_ID", arity = "1..*")
    List<String> ids;

    @Override
    protected int run() {
      return forEach(ids, id -> statusChange(this, id, "reject", "rejected"));
    }
  }

  @Command(
      name = "decommission",
      description = {
        "Retire devices at once: their credentials stop working and assignments skip them.",
        "To bring a machine back, enroll it again (it gets a new id). Asks to confirm unless --yes."
      },
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet devices decommission 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71 --yes")
  static final class Decommission extends SessionCommand {
    @Parameters(paramLabel = "DEVICE_ID", arity = "1..*")
    List<String> ids;

    @Option(names = "--yes", description = "Do not ask to confirm.")
    boolean yes;

    @Override
    protected int run() throws Exception {
      confirm(
          "Decommission "
              + ids.size()
              + " device(s)? Their credentials stop working at once; this cannot be undone.",
          "yes",
          yes);
      return forEach(ids, id -> statusChange(this, id, "decommission", "decommissioned"));
    }
  }

  private static void statusChange(SessionCommand command, String id, String action, String done) {
    JsonNode device = command.api().post(ApiPath.api("devices", id, action), null);
    command.printDone(
        device,
        "device "
            + Text.cell(device.path("id"))
            + " "
            + done
            + " (status "
            + Text.cell(device.path("status"))
            + ")");
  }

  @Command(
      name = "benchmark",
      description = {
        "Ask a connected device to run its micro-benchmark again now.",
        "The report replaces the device's benchmark when it arrives (devices get)."
      },
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet devices benchmark 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71")
  static final class Benchmark extends SessionCommand {
    @Parameters(paramLabel = "DEVICE_ID")
    String id;

    @Override
    protected int run() {
      JsonNode answer = api().post(ApiPath.api("devices", id, "benchmark"), null);
      printDone(
          answer,
          "benchmark requested from device "
              + id
              + "; its report shows in modelfleet devices get "
              + id
              + " when it arrives");
      return 0;
    }
  }

  @Command(
      name = "match",
      aliases = "explain",
      description =
          "Which variant of a model version this device would get, and why (changes nothing).",
      footerHeading = "%nExamples:%n",
      footer =
          "  modelfleet devices match 5d1e8f0c-... --model detector --version 1.1.0 --accuracy-floor 0.98")
  static final class Match extends SessionCommand {
    @Parameters(paramLabel = "DEVICE_ID")
    String id;

    @Option(names = "--model", required = true)
    String model;

    @Option(names = "--version", required = true)
    String version;

    @Option(
        names = "--accuracy-floor",
        description = "Drop variants whose declared accuracy is below this (0 < F <= 2).")
    String accuracyFloor;

    @Override
    protected int run() {
      JsonNode match =
          api()
              .get(
                  ApiPath.api("devices", id, "match")
                      .query("model", model)
                      .query("version", version)
                      .query("accuracyFloor", accuracyFloor));
      print(
          match,
          out -> {
            Describe d = new Describe(out);
            JsonNode chosen = match.path("chosen");
            d.field(
                    "Chosen",
                    chosen.isObject()
                        ? Text.cell(chosen.path("precision"))
                            + "/"
                            + Text.cell(chosen.path("executionProvider"))
                            + " variant "
                            + Text.cell(chosen.path("variantId"))
                        : "nothing fits this device")
                .field("Reason", match, "reason")
                .field("Hardware class", match, "hardwareClassId");
            d.section("Candidates")
                .table(
                    match.path("candidates"),
                    List.of(
                        Column.of(
                            "RANK",
                            c ->
                                c.path("kept").asBoolean() ? Text.cell(c.path("rank")) : "dropped"),
                        Column.of("PRECISION", "precision"),
                        Column.of("PROVIDER", "executionProvider"),
                        Column.of("ARCH", "arch"),
                        Column.of("EST MS", "estimatedMs"),
                        Column.of("SOURCE", "source"),
                        Column.wide("VARIANT", "variantId"),
                        Column.of("REASON", "reason")));
          });
      return 0;
    }
  }

  @Command(
      name = "history",
      description =
          "A device's deployment history, newest first: what it was told, what it reported.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet devices history 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71 --limit 20")
  static final class History extends SessionCommand {
    @Parameters(paramLabel = "DEVICE_ID")
    String id;

    @Option(
        names = "--limit",
        defaultValue = "200",
        description = "At most this many lines (default ${DEFAULT-VALUE}; 0: all).")
    long limit;

    @Override
    protected int run() {
      Instant now = session().clock().instant();
      printList(
          ApiPath.api("devices", id, "history"),
          limit,
          List.of(
              Column.of("AT", "at"),
              Column.of("AGE", h -> Text.age(h.path("at"), now)),
              Column.of("KIND", "kind"),
              Column.of("MODEL", "model"),
              Column.of("VERSION", "version"),
              Column.of("GEN", "generation"),
              Column.wide("VARIANT", "variantId"),
              Column.wide("ROLLOUT", "rolloutId"),
              Column.of("CAUSE", "cause")),
          "No history for this device.");
      return 0;
    }
  }
}
