package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "assign",
    header = "Point devices at a model version at once.",
    description = {
      "Point devices at a model version at once (no waves; see rollouts for staged ones).",
      "Each device gets the variant expected to run fastest on it; the others are listed as",
      "skipped with the reason."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet assign detector 1.1.0 --selector site=plant-a,ring=canary",
      "  modelfleet assign detector 1.1.0 --device 5d1e8f0c-1b7e-4a3a-8f5e-2b9c0d4e6f71"
    })
public final class AssignCommand extends SessionCommand {

  @Parameters(index = "0", paramLabel = "MODEL")
  String model;

  @Parameters(index = "1", paramLabel = "VERSION")
  String version;

  @ArgGroup(exclusive = true, multiplicity = "1")
  Target target;

  static final class Target {
    @Option(
        names = {"-l", "--selector"},
        description = "Label selector over active devices ('' selects all).")
    String selector;

    @Option(names = "--device", paramLabel = "DEVICE_ID")
    String deviceId;
  }

  @Option(names = "--accuracy-floor", description = "Drop variants below this declared accuracy.")
  Double accuracyFloor;

  @Override
  protected int run() {
    Map<String, Object> body = new LinkedHashMap<>();
    if (target.deviceId != null) {
      body.put("deviceId", target.deviceId);
    } else {
      body.put("selector", target.selector);
    }
    if (accuracyFloor != null) {
      body.put("accuracyFloor", accuracyFloor);
    }
    JsonNode result =
        api().post(ApiPath.api("models", model, "versions", version, "assignments"), body);
    print(
        result,
        out -> {
          out.println(
              result.path("assigned").size()
                  + " device(s) assigned, "
                  + result.path("skipped").size()
                  + " skipped");
          Describe d = new Describe(out);
          if (result.path("assigned").size() > 0) {
            d.section("Assigned")
                .table(
                    result.path("assigned"),
                    List.of(
                        Column.of("DEVICE", "deviceId"),
                        Column.of("GEN", "generation"),
                        Column.wide("VARIANT", "variantId"),
                        Column.wide("PREVIOUS", "previousVariantId"),
                        Column.of("REASON", "reason")));
          }
          if (result.path("skipped").size() > 0) {
            d.section("Skipped")
                .table(
                    result.path("skipped"),
                    List.of(Column.of("DEVICE", "deviceId"), Column.of("REASON", "reason")));
          }
        });
    return 0;
  }
}
