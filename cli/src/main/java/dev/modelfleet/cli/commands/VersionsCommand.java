package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.OutputFormat;
import dev.modelfleet.cli.output.Text;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "versions",
    header = "Versions of a model: create, list, show, revoke.",
    aliases = "version",
    description = "Versions of a model: create, list, show (with variants), revoke.",
    subcommands = {
      VersionsCommand.Create.class,
      VersionsCommand.ListVersions.class,
      VersionsCommand.Get.class,
      VersionsCommand.Revoke.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet versions create detector 1.1.0",
      "  modelfleet versions get detector 1.1.0",
      "  modelfleet versions revoke detector 1.0.0 --reason 'misses small parts'"
    })
public final class VersionsCommand extends Group {

  static final List<Column> VARIANT_COLUMNS =
      List.of(
          Column.of("ID", "id"),
          Column.of("PRECISION", "precision"),
          Column.of("PROVIDER", "executionProvider"),
          Column.of("SIZE", v -> Text.bytes(v.path("size").asLong())),
          Column.of("ARCH", "arch"),
          Column.of("CPU FLAGS", "requiredCpuFlags"),
          Column.of("ACCURACY", "accuracy"),
          Column.wide("MIN MEMORY", v -> minMemory(v)),
          Column.wide("MACS", "estimatedMacs"),
          Column.wide("SHA256", "sha256"),
          Column.wide("CREATED", "createdAt"));

  private static String minMemory(JsonNode variant) {
    long bytes = variant.path("minMemoryBytes").asLong(0);
    return bytes == 0 ? "" : Text.bytes(bytes);
  }

  @Command(
      name = "create",
      description = "Create a version of a model (then push variants to it).",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet versions create detector 1.1.0")
  static final class Create extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Override
    protected int run() {
      JsonNode created =
          api().post(ApiPath.api("models", model, "versions"), Map.of("version", version));
      printDone(
          created,
          "version "
              + Text.cell(created.path("version"))
              + " of "
              + Text.cell(created.path("model"))
              + " created; push a variant: modelfleet variants push "
              + Text.cell(created.path("model"))
              + " "
              + Text.cell(created.path("version"))
              + " FILE --precision fp32 --ep cpu");
      return 0;
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "List the versions of a model (with -o json: each version with its variants).",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet versions list detector"})
  static final class ListVersions extends SessionCommand {
    @Parameters(paramLabel = "MODEL")
    String model;

    @Override
    protected int run() {
      JsonNode m = api().get(ApiPath.api("models", model));
      List<JsonNode> versions = new ArrayList<>();
      for (JsonNode name : m.path("versions")) {
        versions.add(api().get(ApiPath.api("models", model, "versions", name.asText())));
      }
      printItems(
          Formats.JSON.valueToTree(versions),
          List.of(
              Column.of("VERSION", "version"),
              Column.of("VARIANTS", v -> variants(v.path("variants"))),
              Column.of("CREATED", "createdAt"),
              Column.of("REVOKED", v -> Text.cell(v.path("revokedAt"))),
              Column.wide("ID", "id")),
          "No versions of " + Text.printable(model) + " yet: modelfleet versions create");
      return 0;
    }

    private static String variants(JsonNode variants) {
      List<String> names = new ArrayList<>();
      variants.forEach(
          v ->
              names.add(
                  Text.cell(v.path("precision")) + "/" + Text.cell(v.path("executionProvider"))));
      return String.join(",", names);
    }
  }

  @Command(
      name = "get",
      description = "One version and its variants.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet versions get detector 1.1.0 -o wide")
  static final class Get extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Override
    protected int run() {
      JsonNode v = api().get(ApiPath.api("models", model, "versions", version));
      print(v, out -> describe(out, v, format() == OutputFormat.WIDE));
      return 0;
    }
  }

  static void describe(PrintStream out, JsonNode version, boolean wide) {
    Describe d =
        new Describe(out)
            .field("Model", version, "model")
            .field("Version", version, "version")
            .field("ID", version, "id")
            .field("Created", version, "createdAt")
            .field(
                "Revoked",
                version.path("revokedAt").isTextual()
                    ? Text.cell(version.path("revokedAt"))
                        + " ("
                        + Text.cell(version.path("revokedReason"))
                        + ")"
                    : "");
    d.section("Variants")
        .table(
            version.path("variants"),
            wide ? VARIANT_COLUMNS : VARIANT_COLUMNS.stream().filter(c -> !c.wideOnly()).toList());
  }

  @Command(
      name = "revoke",
      description = {
        "Withdraw a version: assignments and rollouts of it are refused from now on, running",
        "rollouts of it pause. Devices already running it keep it until pointed elsewhere."
      },
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet versions revoke detector 1.0.0 --reason 'misses small parts'")
  static final class Revoke extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Option(names = "--reason")
    String reason;

    @Override
    protected int run() {
      JsonNode v =
          api()
              .post(
                  ApiPath.api("models", model, "versions", version, "revoke"),
                  reason == null ? null : Map.of("reason", reason));
      printDone(
          v,
          "version "
              + Text.cell(v.path("version"))
              + " of "
              + Text.cell(v.path("model"))
              + " revoked");
      return 0;
    }
  }
}
