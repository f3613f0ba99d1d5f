package dev.modelfleet.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.output.Column;
import dev.modelfleet.cli.output.Describe;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.cli.progress.DerivationProgress;
import dev.modelfleet.cli.progress.ProgressLine;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code variants jobs}: derivation jobs, one followed until it ends. */
@Command(
    name = "jobs",
    aliases = "derivations",
    description = "The derivation jobs of a version, or one job (with --wait: until it ends).",
    footerHeading = "%nExamples:%n",
    footer = {
      "  modelfleet variants jobs detector 1.1.0",
      "  modelfleet variants jobs detector 1.1.0 6f1c0a2e-... --wait"
    })
final class DerivationJobsCommand extends SessionCommand {
  private static final Set<String> ENDED = Set.of("succeeded", "partially_succeeded", "failed");

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
                "Step", Text.cell(job.path("step")) + " (" + Text.cell(job.path("percent")) + " %)")
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
