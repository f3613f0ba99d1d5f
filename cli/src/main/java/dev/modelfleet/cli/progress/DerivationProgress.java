package dev.modelfleet.cli.progress;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.output.Text;
import java.time.Duration;
import java.util.Locale;

/**
 * Shows a derivation job as it runs: its state, step and percent. Redrawn on a live terminal; a
 * line per change elsewhere.
 */
public final class DerivationProgress {

  private final ProgressLine line;
  private String last = "";

  public DerivationProgress(ProgressLine line) {
    this.line = line;
  }

  /** Shows the job as last read, {@code elapsed} after it was asked for. */
  public void show(JsonNode job, Duration elapsed) {
    String state = Text.cell(job.path("state"));
    String step = Text.cell(job.path("step"));
    int percent = job.path("percent").asInt(0);
    String change = state + "|" + step + "|" + percent;
    if (line.live()) {
      line.redraw(
          String.format(
              Locale.ROOT,
              "deriving %s %3d%%  %s  (%s, %s)",
              ProgressLine.bar(percent / 100.0, 24),
              percent,
              step.isEmpty() ? "waiting for a server to take it" : step,
              state,
              Text.duration(elapsed)));
    } else if (!change.equals(last)) {
      line.line(
          String.format(
              Locale.ROOT,
              "derivation %s: %s%s, %d %%",
              Text.shortId(job.path("id").asText()),
              state,
              step.isEmpty() ? "" : ", " + step,
              percent));
    }
    last = change;
  }

  public void done() {
    line.clear();
  }
}
