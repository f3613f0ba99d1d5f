package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "trials",
    header = "Time a version's variants on real devices.",
    aliases = "trial",
    description = {
      "Trials: time a version's variants on real devices; the results rank those variants for",
      "every device of the same hardware class."
    },
    subcommands = {
      TrialsCommand.Start.class,
      TrialsCommand.ListTrials.class,
      TrialsCommand.Get.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet trials start detector 1.1.0 --selector site=plant-a --runs 50",
      "  modelfleet trials get 3b1f0c2d-..."
    })
public final class TrialsCommand extends Group {

  @Command(
      name = "start",
      aliases = "create",
      description =
          "Send a version's variants to devices to time (it changes what they serve: no).",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet trials start detector 1.1.0 --device 5d1e8f0c-... --runs 100")
  static final class Start extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
      @Option(names = {"-l", "--selector"})
      String selector;

      @Option(names = "--device", paramLabel = "DEVICE_ID")
      String deviceId;
    }

    @Option(names = "--runs", description = "Timed runs per variant, 1 to 1000 (default 20).")
    Integer runs;

    @Override
    protected int run() {
      Map<String, Object> body = new LinkedHashMap<>();
      if (target.deviceId != null) {
        body.put("deviceId", target.deviceId);
      } else {
        body.put("selector", target.selector);
      }
      if (runs != null) {
        body.put("runs", runs);
      }
      JsonNode trial =
          api().post(ApiPath.api("models", model, "versions", version, "trials"), body);
      print(trial, out -> describe(out, trial));
      return 0;
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "The trials of a version, oldest first.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet trials list detector 1.1.0"})
  static final class ListTrials extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Override
    protected int run() {
      printList(
          ApiPath.api("models", model, "versions", version, "trials"),
          0,
          List.of(
              Column.of("ID", "id"),
              Column.of("STATUS", "status"),
              Column.of("RUNS", "runs"),
              Column.of("DEVICES", t -> Integer.toString(t.path("devices").size())),
              Column.of("REQUESTED", "requestedAt")),
          "No trials of this version.");
      return 0;
    }
  }

  @Command(
      name = "get",
      description = "One trial, per device.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet trials get 3b1f0c2d-..."})
  static final class Get extends SessionCommand {
    @Parameters(paramLabel = "TRIAL_ID")
    String id;

    @Override
    protected int run() {
      JsonNode trial = api().get(ApiPath.api("trials", id));
      print(trial, out -> describe(out, trial));
      return 0;
    }
  }

  static void describe(PrintStream out, JsonNode trial) {
    Describe d =
        new Describe(out)
            .field("Trial", trial, "id")
            .field(
                "Version", Text.cell(trial.path("model")) + " " + Text.cell(trial.path("version")))
            .field("Status", trial, "status")
            .field("Runs", trial, "runs")
            .field("Requested", trial, "requestedAt");
    // one row per device and variant
    ArrayNode rows = Formats.JSON.createArrayNode();
    for (JsonNode device : trial.path("devices")) {
      if (device.path("results").isEmpty()) {
        ObjectNode row = Formats.JSON.createObjectNode();
        row.set("deviceId", device.path("deviceId"));
        row.set("deviceState", device.path("state"));
        row.set("error", device.path("reason"));
        rows.add(row);
      }
      for (JsonNode result : device.path("results")) {
        ObjectNode row = ((ObjectNode) result).deepCopy();
        row.set("deviceId", device.path("deviceId"));
        row.set("deviceState", device.path("state"));
        rows.add(row);
      }
    }
    d.section("Devices")
        .table(
            rows,
            List.of(
                Column.of("DEVICE", "deviceId"),
                Column.of("DEVICE STATE", "deviceState"),
                Column.of("PRECISION", "precision"),
                Column.of("PROVIDER", "executionProvider"),
                Column.of("STATE", "state"),
                Column.of("P50 MS", "p50Ms"),
                Column.of("P95 MS", "p95Ms"),
                Column.of("LOAD MS", "loadMs"),
                Column.of("ERROR", "error")));
  }
}
