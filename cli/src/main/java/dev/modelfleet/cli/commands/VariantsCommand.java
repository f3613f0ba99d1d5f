package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.OutputFormat;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.progress.ProgressLine;
import dev.modelfleet.cli.progress.TransferProgress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "variants",
    header = "Push .onnx variants with progress; derive int8 and fp16.",
    aliases = "variant",
    description = {
      "Variants: one .onnx build of a version for a precision and execution provider.",
      "push uploads one; derive makes int8 and fp16 variants from the fp32 one."
    },
    subcommands = {
      VariantsCommand.Push.class,
      VariantsCommand.ListVariants.class,
      VariantsCommand.Manifest.class,
      DeriveCommand.class,
      DerivationJobsCommand.class
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet variants push detector 1.1.0 detector.onnx --precision fp32 --ep cpu --create",
      "  modelfleet variants derive detector 1.1.0 --kinds int8-dynamic,fp16 --wait",
      "  modelfleet variants list detector 1.1.0"
    })
public final class VariantsCommand extends Group {

  static final String VALIDATION_HINT =
      "a JSON or YAML mapping: {\"shapes\": {\"input\": [1, 3, 224, 224]}, \"count\": 16} or"
          + " {\"samples\": [...]} (docs/api.md, derivations)";

  @Command(
      name = "push",
      aliases = "upload",
      description = {
        "Upload an .onnx file as a variant of a version, streamed from disk, with progress;",
        "the server then checks the model (ONNX Runtime loads it) and signs its manifest."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet variants push detector 1.1.0 detector-fp32.onnx --precision fp32 --ep cpu",
        "  modelfleet variants push detector 1.1.0 detector-int8.onnx --precision int8 --ep cpu \\",
        "      --arch x86_64 --cpu-flags avx512_vnni --min-memory 1GiB --accuracy 0.985",
        "  modelfleet variants push detector 2.0 model.onnx --precision fp32 --ep cpu --create"
      })
  static final class Push extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Parameters(index = "2", paramLabel = "FILE", description = "The .onnx model file.")
    Path file;

    @Option(names = "--precision", required = true, description = "fp32, fp16, int8, ...")
    String precision;

    @Option(
        names = {"--ep", "--execution-provider"},
        required = true,
        description = "cpu, cuda, openvino, ...")
    String executionProvider;

    @Option(names = "--arch", description = "The CPU architecture it needs (x86_64, aarch64, ...).")
    String arch;

    @Option(
        names = "--cpu-flags",
        split = ",",
        paramLabel = "FLAG",
        description = "CPU flags it needs, as Linux names them (avx512_vnni, dotprod).")
    List<String> cpuFlags;

    @Option(
        names = "--min-memory",
        converter = Converters.SizeConverter.class,
        paramLabel = "SIZE",
        description = "Total memory a device must have: bytes, or 512MiB, 2GiB, ...")
    Long minMemory;

    @Option(
        names = "--accuracy",
        description = "Accuracy relative to the reference variant, in (0, 2] (e.g. 0.985).")
    String accuracy;

    @Option(names = "--create", description = "Create the model and version first if missing.")
    boolean create;

    @Override
    protected int run() throws IOException {
      if (!Files.isRegularFile(file)) {
        throw CliException.usage(
            Files.exists(file) ? file + " is not a regular file" : "no such file: " + file,
            "give the path of an .onnx model file");
      }
      if (!Files.isReadable(file)) {
        throw CliException.usage("cannot read " + file + " (permission denied)", null);
      }
      if (Files.size(file) == 0) {
        throw CliException.usage(file + " is empty", "give the path of an .onnx model file");
      }
      if (create) {
        ensureVersion();
      }
      ApiPath path =
          ApiPath.api("models", model, "versions", version, "variants")
              .query("precision", precision)
              .query("executionProvider", executionProvider)
              .query("arch", arch)
              .query("requiredCpuFlags", cpuFlags == null ? null : String.join(",", cpuFlags))
              .query("minMemoryBytes", minMemory)
              .query("accuracy", accuracy);
      JsonNode variant;
      try (TransferProgress progress =
          new TransferProgress(
              new ProgressLine(err(), session().terminal()),
              file.getFileName().toString(),
              System::nanoTime)) {
        variant = api().upload(path, file, progress);
      }
      print(
          variant,
          out -> {
            out.println(
                "variant "
                    + Text.cell(variant.path("id"))
                    + " ("
                    + Text.cell(variant.path("precision"))
                    + "/"
                    + Text.cell(variant.path("executionProvider"))
                    + ") of "
                    + Text.cell(variant.path("model"))
                    + " "
                    + Text.cell(variant.path("version"))
                    + " published, signed");
            new Describe(out)
                .field("Size", Text.bytes(variant.path("size").asLong()))
                .field("SHA-256", variant, "sha256")
                .field("Inputs", tensors(variant.path("inputs")))
                .field("Outputs", tensors(variant.path("outputs")))
                .field("Estimated MACs", variant, "estimatedMacs");
          });
      return 0;
    }

    private void ensureVersion() {
      if (api().find(ApiPath.api("models", model)).isEmpty()) {
        api().post(ApiPath.api("models"), Map.of("name", model));
        err().println("model " + Text.printable(model) + " created");
      }
      if (api().find(ApiPath.api("models", model, "versions", version)).isEmpty()) {
        api().post(ApiPath.api("models", model, "versions"), Map.of("version", version));
        err().println("version " + Text.printable(version) + " created");
      }
    }
  }

  static String tensors(JsonNode tensors) {
    StringBuilder out = new StringBuilder();
    for (JsonNode t : tensors) {
      if (out.length() > 0) {
        out.append("; ");
      }
      out.append(Text.cell(t.path("name")))
          .append(' ')
          .append(Text.cell(t.path("type")))
          .append(' ')
          .append(t.path("shape").toString());
    }
    return out.toString();
  }

  @Command(
      name = "list",
      aliases = "ls",
      description = "The variants of a version.",
      footerHeading = "%nExamples:%n",
      footer = "  modelfleet variants list detector 1.1.0 -o wide")
  static final class ListVariants extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Override
    protected int run() {
      JsonNode v = api().get(ApiPath.api("models", model, "versions", version));
      printItems(v.path("variants"), VersionsCommand.VARIANT_COLUMNS, "No variants yet.");
      return 0;
    }
  }

  @Command(
      name = "manifest",
      description = "The signed manifest of a variant, exactly as devices receive it (JSON).",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet variants manifest detector 1.1.0 c2e4d3f0-5a8b-4c1e-9f7d-0a1b2c3d4e5f"
      })
  static final class Manifest extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Parameters(index = "2", paramLabel = "VARIANT_ID")
    String variant;

    @Override
    protected int run() {
      JsonNode manifest =
          api()
              .get(
                  ApiPath.api(
                      "models", model, "versions", version, "variants", variant, "manifest"));
      Formats.write(
          format() == OutputFormat.YAML ? OutputFormat.YAML : OutputFormat.JSON, manifest, out());
      return 0;
    }
  }
}
