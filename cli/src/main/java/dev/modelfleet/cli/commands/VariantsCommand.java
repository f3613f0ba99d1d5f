package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.progress.DerivationProgress;
import dev.modelfleet.cli.progress.ProgressLine;
import dev.modelfleet.cli.progress.TransferProgress;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
      VariantsCommand.Derive.class,
      VariantsCommand.Jobs.class
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
          format() == dev.modelfleet.cli.output.OutputFormat.YAML
              ? dev.modelfleet.cli.output.OutputFormat.YAML
              : dev.modelfleet.cli.output.OutputFormat.JSON,
          manifest,
          out());
      return 0;
    }
  }

  @Command(
      name = "derive",
      description = {
        "Derive quantized variants (int8, fp16) from the version's fp32 variant on the server;",
        "each is compared with the reference and published only above the accuracy floor.",
        "With --wait, shows the job's step and percent until it ends (polled at most twice a",
        "second), then the outcome per kind; exits 4 unless every kind was accepted."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet variants derive detector 1.1.0 --kinds int8-dynamic,fp16 --wait",
        "  modelfleet variants derive ocr-cls 2.0 --kinds int8-dynamic --accuracy-floor 0.98 \\",
        "      --validation shapes.yaml --wait"
      })
  static final class Derive extends SessionCommand {
    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Option(
        names = "--kinds",
        split = ",",
        required = true,
        paramLabel = "KIND",
        description = "int8-dynamic, int8-static, fp16 (not both int8 kinds).")
    List<String> kinds;

    @Option(
        names = "--accuracy-floor",
        description = "Least accuracy kept, in (0, 1]; default 0.99.")
    Double accuracyFloor;

    @Option(names = "--source-variant", description = "The fp32 reference (default: the oldest).")
    String sourceVariant;

    @Option(
        names = "--validation",
        paramLabel = "FILE",
        description = "JSON or YAML: samples, or shapes and count.")
    String validation;

    @Option(
        names = "--calibration",
        paramLabel = "FILE",
        description = "JSON or YAML: samples (and method), for int8-static.")
    String calibration;

    @Option(names = "--wait", description = "Show progress until the job ends.")
    boolean await;

    @Override
    protected int run() {
      ObjectNode body = Formats.JSON.createObjectNode();
      body.set("kinds", Formats.JSON.valueToTree(kinds));
      if (accuracyFloor != null) {
        body.put("accuracyFloor", accuracyFloor);
      }
      if (sourceVariant != null) {
        body.put("sourceVariantId", sourceVariant);
      }
      if (validation != null) {
        body.set(
            "validation",
            Documents.readObject(validation, session().in(), "validation file", VALIDATION_HINT));
      }
      if (calibration != null) {
        body.set(
            "calibration",
            Documents.readObject(
                calibration,
                session().in(),
                "calibration file",
                "a JSON or YAML mapping: {\"samples\": [...], \"method\": \"minmax\"}"));
      }
      JsonNode job =
          api().post(ApiPath.api("models", model, "versions", version, "derivations"), body);
      if (!await) {
        printDone(
            job,
            "derivation "
                + Text.cell(job.path("id"))
                + " "
                + Text.cell(job.path("state"))
                + "; follow it: modelfleet variants jobs "
                + Text.printable(model)
                + " "
                + Text.printable(version)
                + " "
                + Text.cell(job.path("id"))
                + " --wait");
        return 0;
      }
      return Jobs.awaitAndPrint(this, model, version, job);
    }
  }

  @Command(
      name = "jobs",
      aliases = "derivations",
      description = "The derivation jobs of a version, or one job (with --wait: until it ends).",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet variants jobs detector 1.1.0",
        "  modelfleet variants jobs detector 1.1.0 6f1c0a2e-... --wait"
      })
  static final class Jobs extends SessionCommand {
    private static final Set<String> ENDED = Set.of("succeeded", "failed");

    @Parameters(index = "0", paramLabel = "MODEL")
    String model;

    @Parameters(index = "1", paramLabel = "VERSION")
    String version;

    @Parameters(index = "2", paramLabel = "JOB_ID", arity = "0..1")
    String jobId;

    @Option(names = "--wait", description = "Show progress until the job ends.")
    boolean await;

    @Override
    protected int run() {
      ApiPath jobs = ApiPath.api("models", model, "versions", version, "derivations");
      if (jobId == null) {
        printList(
            jobs,
            0,
            List.of(
                Column.of("ID", "id"),
                Column.of("KINDS", "kinds"),
                Column.of("STATE", "state"),
                Column.of("STEP", "step"),
                Column.of("PERCENT", "percent"),
                Column.of("OUTCOMES", j -> outcomes(j.path("variants"))),
                Column.wide("CREATED", "createdAt"),
                Column.wide("FINISHED", "finishedAt"),
                Column.of("ERROR", "error")),
            "No derivation jobs for this version.");
        return 0;
      }
      JsonNode job =
          api().get(ApiPath.api("models", model, "versions", version, "derivations", jobId));
      if (await) {
        return awaitAndPrint(this, model, version, job);
      }
      print(job, out -> describe(out, job));
      return 0;
    }

    static int awaitAndPrint(SessionCommand command, String model, String version, JsonNode job) {
      ApiPath path =
          ApiPath.api("models", model, "versions", version, "derivations", job.path("id").asText());
      DerivationProgress progress =
          new DerivationProgress(new ProgressLine(command.err(), command.session().terminal()));
      long started = System.nanoTime();
      while (!ENDED.contains(job.path("state").asText())) {
        Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
        progress.show(job, elapsed);
        sleep(pollInterval(elapsed));
        job = command.api().get(path);
      }
      progress.done();
      JsonNode done = job;
      command.print(done, out -> describe(out, done));
      return succeeded(done) ? ExitCode.OK : ExitCode.REFUSED;
    }

    /** At most twice a second at first, then less often: a long job needs no quick poll. */
    static Duration pollInterval(Duration elapsed) {
      if (elapsed.toSeconds() < 10) {
        return Duration.ofMillis(500);
      }
      return elapsed.toSeconds() < 60 ? Duration.ofSeconds(1) : Duration.ofSeconds(2);
    }

    private static boolean succeeded(JsonNode job) {
      if (!"succeeded".equals(job.path("state").asText())) {
        return false;
      }
      for (JsonNode v : job.path("variants")) {
        if (!"accepted".equals(v.path("outcome").asText())) {
          return false;
        }
      }
      return true;
    }

    private static void sleep(Duration duration) {
      try {
        Thread.sleep(duration.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException(ExitCode.INTERNAL, "interrupted", null, e);
      }
    }

    private static String outcomes(JsonNode variants) {
      StringBuilder out = new StringBuilder();
      for (JsonNode v : variants) {
        if (out.length() > 0) {
          out.append(',');
        }
        out.append(Text.cell(v.path("kind"))).append('=').append(Text.cell(v.path("outcome")));
      }
      return out.toString();
    }

    static void describe(PrintStream out, JsonNode job) {
      Describe d =
          new Describe(out)
              .field("Derivation", job, "id")
              .field("Model", Text.cell(job.path("model")) + " " + Text.cell(job.path("version")))
              .field("State", job, "state")
              .field(
                  "Step",
                  Text.cell(job.path("step")) + " (" + Text.cell(job.path("percent")) + " %)")
              .field("Kinds", job, "kinds")
              .field("Accuracy floor", job, "accuracyFloor")
              .field("Source variant", job, "sourceVariantId")
              .field("Error", job, "error")
              .field("Created", job, "createdAt")
              .field("Finished", job, "finishedAt");
      d.section("Outcomes")
          .table(
              job.path("variants"),
              List.of(
                  Column.of("KIND", "kind"),
                  Column.of("OUTCOME", "outcome"),
                  Column.of("ACCURACY", v -> Text.decimal(v.path("accuracy"), 4)),
                  Column.of("SIZE RATIO", v -> Text.decimal(v.path("sizeRatio"), 2)),
                  Column.of("LATENCY RATIO", v -> Text.decimal(v.path("latencyRatio"), 2)),
                  Column.of("VARIANT", "variantId"),
                  Column.of("REASON", "reason")));
    }
  }
}
