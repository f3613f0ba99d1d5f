package dev.modelfleet.server.console;

import dev.modelfleet.server.rollout.RolloutViews.Counts;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One bar per wave, stacked by device state, drawn as SVG rectangles on a 0-100 scale: their
 * positions are attributes, not inline styles, so the page's Content-Security-Policy stays strict.
 */
public class WaveBars {

  /** The order in which states stack, left to right: done, moving, waiting, then trouble. */
  static final List<String> ORDER =
      List.of(
          "active",
          "loading",
          "verifying",
          "downloading",
          "waiting_window",
          "waiting_budget",
          "pending",
          "waiting",
          "offline",
          "skipped",
          "failed",
          "rolled_back");

  /** A slice of a bar: {@code x} and {@code width} in percent of the bar. */
  public record Segment(String state, int devices, String x, String width) {}

  public List<Segment> segments(Counts counts) {
    List<Segment> segments = new ArrayList<>();
    if (counts == null || counts.devices() == 0) {
      return segments;
    }
    double x = 0;
    Map<String, Integer> byState = counts.byState();
    for (String state : ORDER) {
      int n = byState.getOrDefault(state, 0);
      if (n > 0) {
        double width = 100.0 * n / counts.devices();
        segments.add(new Segment(state, n, percent(x), percent(width)));
        x += width;
      }
    }
    return segments;
  }

  /** A figure with its state, for the legend under the bars: "active 12". */
  public List<Map.Entry<String, Integer>> legend(Counts counts) {
    List<Map.Entry<String, Integer>> legend = new ArrayList<>();
    for (String state : ORDER) {
      int n = counts == null ? 0 : counts.byState().getOrDefault(state, 0);
      if (n > 0) {
        legend.add(Map.entry(state, n));
      }
    }
    return legend;
  }

  private static String percent(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }
}
