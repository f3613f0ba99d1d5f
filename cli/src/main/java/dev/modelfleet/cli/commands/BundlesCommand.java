package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.progress.ProgressLine;
import dev.modelfleet.cli.progress.TransferProgress;
import java.net.http.HttpHeaders;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "bundle",
    header = "Offline bundles: signed updates for devices without a link.",
    aliases = "bundles",
    description = {
      "A bundle is one tar file holding the fleet's root metadata, a signed desired state per",
      "device or per hardware class and the artifacts they name (a device's as a delta from",
      "what it reported running, or compressed, when smaller), under an index signed by the",
      "server's director key.",
      "Carry it to the site and run 'modelfleet-agent import-bundle FILE' on each device."
    },
    subcommands = {BundlesCommand.Create.class, BundlesCommand.Get.class},
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet bundle create --selector site=harbour --expires 30d -f harbour.tar",
      "  modelfleet bundle get 3f0c2a9e-... -o json"
    })
public final class BundlesCommand extends Group {

  @Command(
      name = "create",
      description = {
        "Make a bundle for devices by id or label selector, and/or for hardware classes, and",
        "write it to a file. Each device's desired state is re-signed one generation up, valid",
        "until --expires from now. A class gets one state naming the class: the variant of each",
        "--model the server picks for it; any device of that class can import it, enrolled",
        "devices outside the selector included."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet bundle create --selector site=harbour --expires 30d -f harbour.tar",
        "  modelfleet bundle create --devices 5d1e8f0c-...,0c9a... -f usb/update.tar",
        "  modelfleet bundle create --classes 3fa9c2d41b7e0a55 --model detector=2.1 -f rig.tar"
      })
  public static final class Create extends SessionCommand {

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Target target;

    @Option(
        names = "--classes",
        paramLabel = "CLASS,...",
        description =
            "Hardware class ids, comma-separated (modelfleet hardware-classes list): one state per"
                + " class, for any device of it.")
    String classes;

    @Option(
        names = "--model",
        paramLabel = "NAME=VERSION",
        description = "With --classes: a model version the classes run (repeat for more).")
    List<String> models;

    static final class Target {
      @Option(
          names = {"-l", "--selector"},
          description = "Label selector over active devices, e.g. site=harbour.")
      String selector;

      @Option(
          names = "--devices",
          paramLabel = "ID,...",
          description = "Device ids, comma-separated.")
      String devices;
    }

    @Option(
        names = "--expires",
        paramLabel = "DURATION",
        description =
            "How long the devices may act on the bundle: 30d, 12h... (default: the server's"
                + " modelfleet.bundle.default-expiry; at most its max-expiry).")
    String expires;

    @Option(
        names = {"-f", "--file"},
        paramLabel = "FILE",
        required = true,
        description =
            "Where to write the bundle (a tar file). (-o is the output format, as in every"
                + " command.)")
    Path output;

    @Option(names = "--force", description = "Overwrite FILE if it exists.")
    boolean force;

    @Override
    protected int run() {
      if (Files.exists(output) && !force) {
        throw CliException.usage(
            output + " exists", "give another -f FILE, or --force to overwrite it");
      }
      Path parent = output.toAbsolutePath().getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        throw CliException.usage("no directory " + parent, "create it first");
      }
      Map<String, Object> body = new LinkedHashMap<>();
      List<String> classIds = classes == null ? List.of() : split(classes);
      if (target == null && classIds.isEmpty()) {
        throw CliException.usage(
            "name what the bundle is for",
            "give --selector, --devices or --classes (with --model NAME=VERSION)");
      }
      if (!classIds.isEmpty() && (models == null || models.isEmpty())) {
        throw CliException.usage(
            "--classes needs what the classes run", "add --model NAME=VERSION (repeatable)");
      }
      if (classIds.isEmpty() && models != null && !models.isEmpty()) {
        throw CliException.usage(
            "--model applies to --classes only",
            "devices get what is assigned to them; add --classes or drop --model");
      }
      if (!classIds.isEmpty()) {
        body.put("hardwareClasses", classIds);
        body.put("models", models);
      }
      if (target != null && target.devices != null) {
        List<String> ids = split(target.devices);
        if (ids.isEmpty()) {
          throw CliException.usage("--devices names no device", "give device ids, comma-separated");
        }
        body.put("deviceIds", ids);
      } else if (target != null) {
        body.put("selector", target.selector);
      }
      if (expires != null) {
        body.put("expiresIn", expires);
      }
      HttpHeaders headers;
      try (TransferProgress progress =
          new TransferProgress(
              new ProgressLine(err(), session().terminal()),
              output.getFileName().toString(),
              System::nanoTime,
              "the bundle")) {
        headers = api().download(ApiPath.api("bundles"), body, output, progress);
      }
      String id = headers.firstValue("X-Bundle-Id").orElse("?");
      String until = headers.firstValue("X-Bundle-Expires-At").orElse("?");
      long size;
      try {
        size = Files.size(output);
      } catch (java.io.IOException e) {
        size = -1;
      }
      out()
          .println(
              "wrote bundle "
                  + id
                  + " to "
                  + output
                  + " ("
                  + size
                  + " bytes), valid until "
                  + until);
      out().println("on each device: modelfleet-agent import-bundle " + output.getFileName());
      return 0;
    }

    private static List<String> split(String commaSeparated) {
      return Arrays.stream(commaSeparated.split(","))
          .map(String::strip)
          .filter(s -> !s.isEmpty())
          .toList();
    }
  }

  @Command(
      name = "get",
      description = "Show a bundle made earlier: who, for which devices, until when.",
      footerHeading = "%nExamples:%n",
      footer = {
        "  modelfleet bundle get 3f0c2a9e-...",
        "  modelfleet bundle get 3f0c2a9e-... -o json"
      })
  public static final class Get extends SessionCommand {

    @Parameters(index = "0", paramLabel = "BUNDLE_ID")
    String id;

    @Override
    protected int run() {
      JsonNode bundle = api().get(ApiPath.api("bundles", id));
      print(
          bundle,
          out -> {
            Describe d = new Describe(out);
            d.field("id", bundle.path("id").asText());
            d.field("created by", bundle.path("createdBy").asText());
            d.field("created at", bundle.path("createdAt").asText());
            d.field("expires at", bundle.path("expiresAt").asText());
            d.field("devices", String.valueOf(bundle.path("deviceIds").size()));
            List<String> classIds = new java.util.ArrayList<>();
            bundle.path("hardwareClasses").forEach(c -> classIds.add(c.asText()));
            d.field("hardware classes", classIds.isEmpty() ? "-" : String.join(", ", classIds));
            d.field(
                "artifacts",
                bundle.path("artifactCount").asText()
                    + " ("
                    + bundle.path("deltaCount").asInt()
                    + " as deltas or compressed)");
            d.field("size", bundle.path("sizeBytes").asText() + " bytes");
          });
      return 0;
    }
  }
}
