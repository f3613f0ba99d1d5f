package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Text;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "hardware-classes",
    header = "Devices grouped by what matters to a model's speed.",
    description = "Hardware classes: devices grouped by what matters to a model's speed.",
    subcommands = {HardwareClassesCommand.ListClasses.class, HardwareClassesCommand.Get.class},
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet hardware-classes list",
      "  modelfleet hardware-classes get 9c4e1f0a7b3d2e65"
    })
public final class HardwareClassesCommand extends Group {

  @Command(
      name = "list",
      aliases = "ls",
      description = "The classes with at least one active device, largest first.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet hardware-classes list -o wide"})
  static final class ListClasses extends SessionCommand {
    @Override
    protected int run() {
      printList(
          ApiPath.api("hardware-classes"),
          0,
          List.of(
              Column.of("ID", "id"),
              Column.of("DEVICES", "devices"),
              Column.of("BENCHMARKED", "benchmarkedDevices"),
              Column.wide("FALLBACKS", "providerMismatches"),
              Column.of("DESCRIPTION", "description")),
          "No hardware classes (no active device reported its hardware yet).");
      return 0;
    }
  }

  @Command(
      name = "get",
      description = "One class: its profile, benchmark medians and trial results.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet hardware-classes get 9c4e1f0a7b3d2e65"})
  static final class Get extends SessionCommand {
    @Parameters(paramLabel = "CLASS_ID")
    String id;

    @Override
    protected int run() {
      JsonNode c = api().get(ApiPath.api("hardware-classes", id));
      print(
          c,
          out -> {
            Describe d = new Describe(out);
            d.field("ID", c, "id")
                .field("Description", c, "description")
                .field("Devices", c, "devices")
                .field("Benchmarked", c, "benchmarkedDevices")
                .field(
                    "Fallbacks",
                    Text.cell(c.path("providerMismatches"))
                        + " on "
                        + Text.cell(c.path("devicesWithProviderMismatch"))
                        + " device(s)");
            d.section("Benchmark medians")
                .table(
                    c.path("benchmark"),
                    List.of(
                        Column.of("PROVIDER", "executionProvider"),
                        Column.of("PRECISION", "precision"),
                        Column.of("KERNEL", "kernel"),
                        Column.of("DEVICES", "devices"),
                        Column.of("GMACS", "medianGmacs"),
                        Column.of("P50 MS", "medianP50Ms")));
            d.section("Trials")
                .table(
                    c.path("trials"),
                    List.of(
                        Column.of("MODEL", "model"),
                        Column.of("VERSION", "version"),
                        Column.of("PRECISION", "precision"),
                        Column.of("PROVIDER", "executionProvider"),
                        Column.of("MEASURED", "measured"),
                        Column.of("FAILED", "failed"),
                        Column.of("P50 MS", "medianP50Ms"),
                        Column.of("LAST ERROR", "lastError")));
          });
      return 0;
    }
  }
}
