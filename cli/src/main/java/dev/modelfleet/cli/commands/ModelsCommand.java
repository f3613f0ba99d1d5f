package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "models",
    header = "Models (the names devices serve) and their derivation policy.",
    aliases = "model",
    description = "Models: the names devices serve; each has versions (see versions, variants).",
    subcommands = {
      ModelsCommand.Create.class,
      ModelsCommand.ListModels.class,
      ModelsCommand.Get.class,
      ModelsCommand.Policy.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet models create detector --description 'finds parts on the belt'",
      "  modelfleet models list"
    })
public final class ModelsCommand extends Group {

  @Command(
      name = "create",
      description = "Create a model (a name: lowercase letters, digits, '.', '_', '-').",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet models create detector --description 'finds parts on the belt'")
  static final class Create extends SessionCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Option(names = "--description")
    String description;

    @Override
    protected int run() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", name);
      if (description != null) {
        body.put("description", description);
      }
      JsonNode model = api().post(ApiPath.api("models"), body);
      printDone(model, "model " + Text.cell(model.path("name")) + " created");
      return 0;
    }
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "List models, by name, with their versions.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet models list", "  modelfleet models list -o json | jq -r '.[].name'"})
  static final class ListModels extends SessionCommand {
    @Override
    protected int run() {
      Instant now = session().clock().instant();
      printList(
          ApiPath.api("models"),
          0,
          List.of(
              Column.of("NAME", "name"),
              Column.of("VERSIONS", m -> Text.cell(m.path("versions"))),
              Column.of("CREATED", m -> Text.age(m.path("createdAt"), now)),
              Column.wide("ID", "id"),
              Column.of("DESCRIPTION", "description")),
          "No models yet: modelfleet models create NAME");
      return 0;
    }
  }

  @Command(
      name = "get",
      description = "One model and its version names.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet models get detector"})
  static final class Get extends SessionCommand {
    @Parameters(paramLabel = "NAME")
    String name;

    @Override
    protected int run() {
      JsonNode model = api().get(ApiPath.api("models", name));
      print(
          model,
          out ->
              new Describe(out)
                  .field("Name", model, "name")
                  .field("ID", model, "id")
                  .field("Description", model, "description")
                  .field("Created", model, "createdAt")
                  .field(
                      "Versions",
                      model.path("versions").isEmpty()
                          ? "(none)"
                          : Text.cell(model.path("versions"))));
      return 0;
    }
  }

  @Command(
      name = "policy",
      aliases = "derivation-policy",
      description = {
        "A model's derivation policy: every fp32 variant uploaded after it is set gets a",
        "derivation job (docs/quantization.md)."
      },
      subcommands = {PolicyGet.class, PolicySet.class, PolicyDelete.class},
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet models policy set detector --kinds int8-dynamic,fp16 --accuracy-floor 0.99",
        "  modelfleet models policy get detector",
        "  modelfleet models policy delete detector"
      })
  static final class Policy extends Group {}

  @Command(
      name = "get",
      description = "Show the policy.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet models policy get detector"})
  static final class PolicyGet extends SessionCommand {
    @Parameters(paramLabel = "MODEL")
    String model;

    @Override
    protected int run() {
      JsonNode policy = api().get(ApiPath.api("models", model, "derivation-policy"));
      print(policy, out -> describePolicy(out, policy));
      return 0;
    }
  }

  static void describePolicy(PrintStream out, JsonNode policy) {
    new Describe(out)
        .field("Model", policy, "model")
        .field("Kinds", policy, "kinds")
        .field("Accuracy floor", policy, "accuracyFloor")
        .field(
            "Comparators",
            policy.path("comparators").isObject()
                ? Formats.oneLine(policy.path("comparators"))
                : "")
        .field(
            "Floors",
            policy.path("floors").isObject() ? Formats.oneLine(policy.path("floors")) : "")
        .field("Created", policy, "createdAt")
        .field(
            "Validation",
            policy.path("validation").isObject() ? Formats.oneLine(policy.path("validation")) : "");
  }

  @Command(
      name = "set",
      description = "Set (or replace) the policy.",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet models policy set detector --kinds int8-dynamic,fp16 --accuracy-floor 0.99",
        "  modelfleet models policy set ocr --kinds fp16 --validation shapes.yaml",
        "  modelfleet models policy set detector --kinds int8-dynamic,fp16 \\",
        "      --compare 'maps=iou@0.3>=0.95' --floor fp16=0.999"
      })
  static final class PolicySet extends SessionCommand {
    @Parameters(paramLabel = "MODEL")
    String model;

    @Option(
        names = "--kinds",
        split = ",",
        required = true,
        description = "int8-dynamic and/or fp16 (int8-static needs a version's calibration).")
    List<String> kinds;

    @Option(
        names = "--accuracy-floor",
        description = "Least accuracy kept, in (0, 1]; default 0.99.")
    Double accuracyFloor;

    @Option(
        names = "--validation",
        paramLabel = "FILE",
        description = "JSON or YAML: samples, or shapes and count (as for derive).")
    String validation;

    @Option(
        names = "--compare",
        paramLabel = "OUTPUT=COMPARATOR",
        description =
            "Judge OUTPUT by COMPARATOR in every policy job, e.g. maps=iou@0.3>=0.95; repeatable.")
    List<String> comparators;

    @Option(
        names = "--floor",
        paramLabel = "KIND=FLOOR",
        description = "This kind's own floor for the default comparators, e.g. fp16=0.999.")
    List<String> floors;

    @Override
    protected int run() {
      ObjectNode body = Formats.JSON.createObjectNode();
      body.set("kinds", Formats.JSON.valueToTree(kinds));
      if (accuracyFloor != null) {
        body.put("accuracyFloor", accuracyFloor);
      }
      DeriveCommand.comparatorsAndFloors(body, comparators, floors);
      if (validation != null) {
        body.set(
            "validation",
            Documents.readObject(
                validation, session().in(), "validation file", VariantsCommand.VALIDATION_HINT));
      }
      JsonNode policy = api().put(ApiPath.api("models", model, "derivation-policy"), body);
      print(policy, out -> describePolicy(out, policy));
      return 0;
    }
  }

  @Command(
      name = "delete",
      description = "Remove the policy.",
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet models policy delete detector"})
  static final class PolicyDelete extends SessionCommand {
    @Parameters(paramLabel = "MODEL")
    String model;

    @Override
    protected int run() {
      api().delete(ApiPath.api("models", model, "derivation-policy"));
      if (!format().structured()) {
        out().println("derivation policy of " + Text.printable(model) + " deleted");
      }
      return 0;
    }
  }
}
