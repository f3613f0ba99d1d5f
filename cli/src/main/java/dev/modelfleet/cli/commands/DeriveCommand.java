package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.progress.ProgressLine;
import dev.modelfleet.cli.progress.TransferProgress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code variants derive}: int8 and fp16 variants derived on the server. */
@Command(
    name = "derive",
    description = {
      "Derive quantized variants (int8, fp16) from the version's fp32 variant on the server;",
      "each is compared with the reference and published only above the accuracy floor.",
      "With --wait, shows the job's step and percent until it ends (polled at most twice a",
      "second), then the outcome per kind; exits 4 unless every kind was accepted.",
      "Large samples go as NumPy files: --samples and --calibration-samples upload an .npy",
      "(one-input models) or an .npz (one <input>.npy per input), each array [samples, ...input",
      "shape], with progress, before the job starts.",
      "--compare judges an output by the comparators you name instead of its default (top-1",
      "for class scores, cosine otherwise): cosine>=F, maxabs<=E, meanabs<=E, topK>=F,",
      "flips@T<=F, iou@T>=F (see docs/quantization.md); --floor sets one kind's floor."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet variants derive detector 1.1.0 --kinds int8-dynamic,fp16 --wait",
      "  modelfleet variants derive ocr-cls 2.0 --kinds int8-dynamic --accuracy-floor 0.98 \\",
      "      --validation shapes.yaml --wait",
      "  modelfleet variants derive detector 1.2.0 --kinds int8-static --samples val.npy \\",
      "      --calibration-samples calib.npy --wait",
      "  modelfleet variants derive detector 1.3.0 --kinds int8-dynamic,fp16 \\",
      "      --compare 'maps=iou@0.3>=0.95' --floor fp16=0.999 --wait"
    })
final class DeriveCommand extends SessionCommand {
  @Parameters(index = "0", paramLabel = "MODEL")
  String model;

  @Parameters(index = "1", paramLabel = "VERSION")
  String version;

  @Option(
      names = "--kinds",
      split = ",",
      required = true,
      paramLabel = "KIND",
      description = "int8-dynamic, int8-static, int8-qdq, fp16 (one int8 kind).")
  List<String> kinds;

  @Option(names = "--accuracy-floor", description = "Least accuracy kept, in (0, 1]; default 0.99.")
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
      description =
          "JSON or YAML: samples (and method), for int8-static and int8-qdq. Methods: minmax"
              + " (int8-static's default), percentile; int8-qdq also entropy, mse (its default).")
  String calibration;

  @Option(
      names = "--samples",
      paramLabel = "FILE",
      description = "Validation samples as .npy or .npz (float32, float16, int64, int32, uint8).")
  Path samples;

  @Option(
      names = "--calibration-samples",
      paramLabel = "FILE",
      description = "Calibration samples for int8-static and int8-qdq as .npy or .npz.")
  Path calibrationSamples;

  @Option(
      names = "--compare",
      paramLabel = "OUTPUT=COMPARATOR",
      description = "Judge OUTPUT by COMPARATOR, e.g. maps=iou@0.3>=0.95; repeatable.")
  List<String> comparators;

  @Option(
      names = "--floor",
      paramLabel = "KIND=FLOOR",
      description = "This kind's own floor for the default comparators, e.g. fp16=0.999.")
  List<String> floors;

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
    comparatorsAndFloors(body, comparators, floors);
    if (validation != null) {
      body.set(
          "validation",
          Documents.readObject(
              validation, session().in(), "validation file", VariantsCommand.VALIDATION_HINT));
    }
    if (calibration != null) {
      body.set(
          "calibration",
          Documents.readObject(
              calibration,
              session().in(),
              "calibration file",
              "a JSON or YAML mapping: {\"samples\": [...], \"method\": \"mse\"}"));
    }
    if (samples != null) {
      sampleFile(body, "validation", samples);
    }
    if (calibrationSamples != null) {
      sampleFile(body, "calibration", calibrationSamples);
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
    return DerivationJobsCommand.awaitAndPrint(this, model, version, job);
  }

  /**
   * {@code --compare OUTPUT=COMPARATOR} and {@code --floor KIND=FLOOR} into a job's or a policy's
   * body ({@code comparators}, {@code floors}).
   */
  static void comparatorsAndFloors(ObjectNode body, List<String> comparators, List<String> floors) {
    if (comparators != null) {
      ObjectNode byOutput = body.putObject("comparators");
      for (String c : comparators) {
        String[] pair = pair(c, "--compare", "maps=iou@0.3>=0.95");
        if (!byOutput.has(pair[0])) {
          byOutput.putArray(pair[0]);
        }
        ((com.fasterxml.jackson.databind.node.ArrayNode) byOutput.get(pair[0])).add(pair[1]);
      }
    }
    if (floors != null) {
      ObjectNode byKind = body.putObject("floors");
      for (String f : floors) {
        String[] pair = pair(f, "--floor", "fp16=0.999");
        try {
          byKind.put(pair[0], Double.parseDouble(pair[1]));
        } catch (NumberFormatException e) {
          throw CliException.usage(
              "--floor " + f + ": '" + pair[1] + "' is not a number",
              "give a kind and a floor in (0, 1], e.g. --floor fp16=0.999");
        }
      }
    }
  }

  /**
   * NAME=VALUE split at the first '=' that is not part of a comparator's {@code >=} or {@code <=},
   * or a usage error that shows {@code example}.
   */
  private static String[] pair(String text, String option, String example) {
    int eq = text.indexOf('=');
    while (eq > 0 && (text.charAt(eq - 1) == '>' || text.charAt(eq - 1) == '<')) {
      eq = text.indexOf('=', eq + 1);
    }
    if (eq <= 0 || eq == text.length() - 1) {
      throw CliException.usage(
          option + " " + text + " is not NAME=VALUE", "write it like " + option + " " + example);
    }
    return new String[] {text.substring(0, eq).strip(), text.substring(eq + 1).strip()};
  }

  /** Uploads {@code file} (streamed, with progress) and names it in {@code body.<part>}. */
  private void sampleFile(ObjectNode body, String part, Path file) {
    if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
      throw CliException.usage(
          "cannot read " + file, "give the path of an .npy or .npz file (numpy.save, numpy.savez)");
    }
    JsonNode existing = body.get(part);
    ObjectNode node = existing instanceof ObjectNode o ? o : Formats.JSON.createObjectNode();
    if (node.has("samples")) {
      throw CliException.usage(
          "the " + part + " file already holds samples, and " + file + " is given too",
          "give the samples one way: in the file, or as .npy/.npz");
    }
    ApiPath path =
        ApiPath.api("models", model, "versions", version, "derivation-samples")
            .query("sourceVariantId", sourceVariant);
    JsonNode uploaded;
    try (TransferProgress progress =
        new TransferProgress(
            new ProgressLine(err(), session().terminal()),
            file.getFileName().toString(),
            System::nanoTime,
            "the samples")) {
      uploaded = api().upload(path, file, progress);
    }
    node.put("samplesFile", uploaded.path("id").asText());
    body.set(part, node);
  }
}
