package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "artifacts",
    header = "Stored artifacts: garbage collection.",
    description = {
      "The artifact store (filesystem or S3, docs/operations.md) keeps every uploaded, derived and",
      "delta file while a variant or delta names it; the collector removes the rest once older",
      "than the grace period (MODELFLEET_ARTIFACT_GC_GRACE). It also runs on its own schedule."
    },
    subcommands = {ArtifactsCommand.Gc.class},
    footerHeading = "%nExamples:%n",
    footer = {"  modelfleet artifacts gc --dry-run", "  modelfleet artifacts gc"})
public final class ArtifactsCommand extends Group {

  @Command(
      name = "gc",
      header = "Remove unreferenced artifacts now (admin).",
      description = {
        "Removes artifacts no variant or delta names that are older than the grace period, and",
        "unfinished uploads older than it. --dry-run lists what would go and removes nothing.",
        "Exits 4 when another replica is collecting at the moment (try again shortly)."
      },
      footerHeading = "%nExamples:%n",
      footer = {"  modelfleet artifacts gc --dry-run", "  modelfleet artifacts gc -o json"})
  static final class Gc extends SessionCommand {

    @Option(names = "--dry-run", description = "List what would be removed; remove nothing.")
    boolean dryRun;

    @Override
    protected int run() {
      JsonNode run =
          api()
              .post(
                  ApiPath.api("system", "artifacts", "gc")
                      .query("dryRun", Boolean.toString(dryRun)),
                  null);
      print(
          run,
          out -> {
            Describe d = new Describe(out);
            if (!run.path("ran").asBoolean()) {
              d.field("Collector", "not run: another replica is collecting now; try again shortly");
              return;
            }
            d.field(
                    "Mode",
                    run.path("dryRun").asBoolean() ? "dry run (nothing removed)" : "removed")
                .field("Older than", run, "olderThan")
                .field(
                    "Stored",
                    run.path("stored").asLong()
                        + " artifacts, "
                        + run.path("referenced").asLong()
                        + " referenced, "
                        + run.path("keptYoung").asLong()
                        + " unreferenced but within the grace period")
                .field(
                    run.path("dryRun").asBoolean() ? "Would remove" : "Removed",
                    run.path("collected").size()
                        + " artifacts, "
                        + Text.bytes(run.path("collectedBytes").asLong()))
                .field(
                    "Unfinished uploads",
                    run.path("unfinishedUploads").asLong()
                        + ", "
                        + Text.bytes(run.path("unfinishedUploadBytes").asLong()));
            if (run.path("failed").asLong() > 0) {
              d.field(
                  "Failed",
                  run.path("failed").asLong()
                      + " could not be removed (see the server log; the next run retries)");
            }
            for (JsonNode sha : run.path("collected")) {
              d.field("Artifact", Text.cell(sha));
            }
          });
      return run.path("ran").asBoolean() ? ExitCode.OK : ExitCode.REFUSED;
    }
  }
}
