package dev.modelfleet.cli.progress;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.cli.output.Terminal;
import dev.modelfleet.cli.output.Terminal.Color;
import dev.modelfleet.cli.output.Text;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A rollout as people follow it, from the object {@code GET /api/v1/rollouts/{id}} returns: a
 * header, one bar per wave stacked by device state, the gate figures, the latest events. {@link
 * #screen} is the whole view (redrawn in place on a terminal); {@link #changes} is what changed
 * since the last object, as lines a log keeps.
 */
public final class RolloutScreen {

  /** Device states in bar order: done first, then in progress, waiting, and trouble at the end. */
  static final List<String> STATES =
      List.of(
          "active",
          "loading",
          "verifying",
          "downloading",
          "pending",
          "waiting",
          "failed",
          "skipped",
          "offline",
          "rolled_back");

  private static final Map<String, String> UNICODE =
      Map.of(
          "active", "█",
          "loading", "▓",
          "verifying", "▓",
          "downloading", "▒",
          "pending", "░",
          "waiting", "·",
          "failed", "x",
          "skipped", "-",
          "offline", "?",
          "rolled_back", "<");
  private static final Map<String, String> ASCII =
      Map.of(
          "active", "#",
          "loading", "=",
          "verifying", "=",
          "downloading", "~",
          "pending", ":",
          "waiting", ".",
          "failed", "x",
          "skipped", "-",
          "offline", "?",
          "rolled_back", "<");
  private static final Map<String, Color> COLORS =
      Map.of(
          "active", Color.GREEN,
          "loading", Color.CYAN,
          "verifying", Color.CYAN,
          "downloading", Color.BLUE,
          "pending", Color.GREY,
          "waiting", Color.GREY,
          "failed", Color.RED,
          "skipped", Color.YELLOW,
          "offline", Color.MAGENTA,
          "rolled_back", Color.YELLOW);

  private final Terminal terminal;
  private final int maxEvents;
  private final DateTimeFormatter clock;

  public RolloutScreen(Terminal terminal, int maxEvents, ZoneId zone) {
    this.terminal = terminal;
    this.maxEvents = maxEvents;
    this.clock = DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(zone);
  }

  /** The whole view, each line at most the terminal's width. */
  public List<String> screen(JsonNode rollout, Instant now) {
    int width = Math.max(40, terminal.width() - 1);
    List<String> lines = new ArrayList<>();
    lines.add(Text.fit(title(rollout), width));
    lines.add(Text.fitVisible(status(rollout, now), width));
    String reason = Text.cell(rollout.path("stateReason"));
    if (!reason.isEmpty()) {
      lines.add(Text.fit("reason: " + reason, width));
    }
    int barWidth = Math.max(10, Math.min(40, width - 64));
    for (JsonNode wave : rollout.path("waves")) {
      lines.add(waveLine(wave, barWidth, width));
      String gate = gate(wave.path("gate"));
      if (!gate.isEmpty()) {
        lines.add(Text.fit("          gate: " + gate, width));
      }
      String shadow = shadow(wave.path("shadow"));
      if (!shadow.isEmpty()) {
        lines.add(Text.fit("          shadow: " + shadow, width));
      }
    }
    lines.add(Text.fitVisible(legend(), width));
    String next = nextStep(rollout);
    if (!next.isEmpty()) {
      lines.add(terminal.color(Color.YELLOW, Text.fit(next, width)));
    }
    List<String> events = events(rollout);
    if (!events.isEmpty() && maxEvents > 0) {
      lines.add("events:");
      events
          .subList(Math.max(0, events.size() - maxEvents), events.size())
          .forEach(e -> lines.add(Text.fit("  " + e, width)));
    }
    return lines;
  }

  /** The lines saying what changed from {@code before} (null: the first view) to {@code now}. */
  public List<String> changes(JsonNode before, JsonNode rollout, Instant now) {
    List<String> lines = new ArrayList<>();
    String at = clock.format(now);
    if (before == null) {
      lines.add(at + " " + title(rollout));
      lines.add(at + " " + status(rollout, now));
    } else if (!rollout.path("state").equals(before.path("state"))
        || !rollout.path("currentWave").equals(before.path("currentWave"))) {
      lines.add(at + " " + status(rollout, now));
      String reason = Text.cell(rollout.path("stateReason"));
      if (!reason.isEmpty()) {
        lines.add(at + " reason: " + reason);
      }
    }
    Map<Integer, JsonNode> wavesBefore = new LinkedHashMap<>();
    if (before != null) {
      before.path("waves").forEach(w -> wavesBefore.put(w.path("index").asInt(), w));
    }
    for (JsonNode wave : rollout.path("waves")) {
      JsonNode was = wavesBefore.get(wave.path("index").asInt());
      boolean changed =
          was == null
              || !was.path("state").equals(wave.path("state"))
              || !was.path("counts").equals(wave.path("counts"))
              || !was.path("gate").equals(wave.path("gate"))
              || !was.path("shadow").equals(wave.path("shadow"));
      if (changed) {
        String gate = gate(wave.path("gate"));
        String shadow = shadow(wave.path("shadow"));
        lines.add(
            at
                + " wave "
                + (wave.path("index").asInt() + 1)
                + " "
                + Text.cell(wave.path("state"))
                + ": "
                + counts(wave)
                + (gate.isEmpty() ? "" : "; gate: " + gate)
                + (shadow.isEmpty() ? "" : "; shadow: " + shadow));
      }
    }
    Set<String> seen = new HashSet<>();
    if (before != null) {
      seen.addAll(events(before));
    }
    for (String event : events(rollout)) {
      if (!seen.contains(event)) {
        lines.add(event);
      }
    }
    String next = nextStep(rollout);
    if (!next.isEmpty() && (before == null || !next.equals(nextStep(before)))) {
      lines.add(at + " " + next);
    }
    return lines;
  }

  /** The last line: how it ended, or where it stopped. */
  public String outcome(JsonNode rollout, Instant now) {
    String state = rollout.path("state").asText();
    JsonNode totals = rollout.path("totals");
    String figures =
        Text.cell(totals.path("byState").path("active"))
            + " of "
            + Text.cell(totals.path("devices"))
            + " device(s) active";
    return switch (state) {
      case "completed" -> "rollout completed: " + figures + " after " + elapsed(rollout, now);
      case "paused" -> "rollout paused: " + Text.cell(rollout.path("stateReason"));
      case "aborted" ->
          "rollout aborted: " + Text.cell(rollout.path("stateReason")) + " (" + figures + ")";
      case "rolled_back" -> "rollout rolled back: " + Text.cell(rollout.path("stateReason"));
      default -> "rollout " + Text.printable(state) + ": " + figures;
    };
  }

  private String title(JsonNode r) {
    String name = Text.cell(r.path("name"));
    boolean defaultName =
        name.equals(Text.cell(r.path("model")) + " " + Text.cell(r.path("version")));
    return "rollout "
        + (defaultName || name.isEmpty() ? "" : name + " ")
        + "("
        + Text.cell(r.path("id"))
        + "): "
        + Text.cell(r.path("model"))
        + " "
        + Text.cell(r.path("version"))
        + " to selector '"
        + Text.cell(r.path("selector"))
        + "'";
  }

  private String status(JsonNode r, Instant now) {
    JsonNode totals = r.path("totals");
    int waves = r.path("waves").size();
    StringBuilder out = new StringBuilder();
    out.append("state ").append(stateText(r.path("state").asText()));
    if (waves > 0) {
      out.append(" · wave ")
          .append(Math.min(waves, r.path("currentWave").asInt() + 1))
          .append(" of ")
          .append(waves);
    }
    out.append(" · ")
        .append(totals.path("byState").path("active").asInt())
        .append(" of ")
        .append(totals.path("devices").asInt())
        .append(" active (")
        .append(Text.cell(totals.path("activePercent")))
        .append(" %)");
    int failed = totals.path("byState").path("failed").asInt();
    if (failed > 0) {
      out.append(", ")
          .append(failed)
          .append(" failed (")
          .append(Text.cell(totals.path("failedPercent")))
          .append(" %)");
    }
    String elapsed = elapsed(r, now);
    if (!elapsed.isEmpty()) {
      out.append(" · ").append(elapsed);
    }
    return out.toString();
  }

  private String stateText(String state) {
    Color color =
        switch (state) {
          case "completed" -> Color.GREEN;
          case "running", "rolling_back" -> Color.CYAN;
          case "paused" -> Color.YELLOW;
          case "aborted", "rolled_back" -> Color.RED;
          default -> Color.BOLD;
        };
    return terminal.color(color, Text.printable(state));
  }

  private static String elapsed(JsonNode r, Instant now) {
    Instant started = instant(r.path("startedAt"));
    if (started == null) {
      return "";
    }
    Instant finished = instant(r.path("finishedAt"));
    return Text.duration(Duration.between(started, finished == null ? now : finished));
  }

  private String waveLine(JsonNode wave, int barWidth, int width) {
    JsonNode counts = wave.path("counts");
    int devices = counts.path("devices").asInt();
    Map<String, Integer> byState = byState(counts.path("byState"));
    if (devices == 0 && wave.path("planned").asInt() > 0) {
      // not placed yet: all of it still waiting
      devices = wave.path("planned").asInt();
      byState = Map.of("waiting", devices);
    }
    String prefix =
        String.format(
            Locale.ROOT,
            " wave %-2d %-17s ",
            wave.path("index").asInt() + 1,
            Text.printable(wave.path("state").asText()));
    String bar = bar(byState, devices, barWidth);
    String tail = String.format(Locale.ROOT, " %6d  ", devices);
    int room = width - prefix.length() - barWidth - tail.length();
    return prefix + bar + tail + Text.fit(counts(wave), Math.max(0, room));
  }

  /**
   * The bar: each state's share of {@code cells}, by largest remainder, every state present getting
   * at least one cell (one failed device of 10,000 must show).
   */
  String bar(Map<String, Integer> byState, int devices, int cells) {
    if (devices <= 0) {
      return " ".repeat(cells);
    }
    List<String> present = new ArrayList<>();
    for (String state : order(byState)) {
      if (byState.getOrDefault(state, 0) > 0) {
        present.add(state);
      }
    }
    int[] widths = new int[present.size()];
    double[] remainders = new double[present.size()];
    int used = 0;
    for (int i = 0; i < widths.length; i++) {
      double exact = (double) byState.get(present.get(i)) * cells / devices;
      widths[i] = Math.max(present.size() <= cells ? 1 : 0, (int) Math.floor(exact));
      remainders[i] = exact - Math.floor(exact);
      used += widths[i];
    }
    while (used < cells) {
      int best = 0;
      for (int i = 1; i < widths.length; i++) {
        if (remainders[i] > remainders[best]) {
          best = i;
        }
      }
      widths[best]++;
      remainders[best] -= 1;
      used++;
    }
    while (used > cells) {
      int widest = 0;
      for (int i = 1; i < widths.length; i++) {
        if (widths[i] > widths[widest]) {
          widest = i;
        }
      }
      widths[widest]--;
      used--;
    }
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < widths.length; i++) {
      String state = present.get(i);
      out.append(terminal.color(color(state), glyph(state).repeat(widths[i])));
    }
    return out.toString();
  }

  private String glyph(String state) {
    Map<String, String> glyphs = terminal.unicode() ? UNICODE : ASCII;
    return glyphs.getOrDefault(state, state.isEmpty() ? "?" : state.substring(0, 1));
  }

  private static Color color(String state) {
    return COLORS.getOrDefault(state, Color.BOLD);
  }

  private String legend() {
    StringBuilder out = new StringBuilder("legend:");
    Set<String> shown = new HashSet<>();
    for (String state : STATES) {
      String glyph = glyph(state);
      if (shown.add(glyph)) {
        String name =
            switch (state) {
              case "loading" -> "verifying/loading";
              case "verifying" -> "verifying/loading";
              case "rolled_back" -> "rolled back";
              default -> state;
            };
        out.append(' ').append(terminal.color(color(state), glyph)).append(' ').append(name);
      }
    }
    return out.toString();
  }

  /** "active 12/36 · downloading 6 · failed 2": the states present, in bar order. */
  static String counts(JsonNode wave) {
    JsonNode counts = wave.path("counts");
    Map<String, Integer> byState = byState(counts.path("byState"));
    int devices = counts.path("devices").asInt();
    StringBuilder out = new StringBuilder();
    out.append("active ").append(byState.getOrDefault("active", 0)).append('/').append(devices);
    for (String state : order(byState)) {
      int n = byState.getOrDefault(state, 0);
      if (!state.equals("active") && n > 0) {
        out.append(" · ").append(state.replace('_', ' ')).append(' ').append(n);
      }
    }
    if (wave.path("acceptedFailures").asInt() > 0) {
      out.append(" · ")
          .append(wave.path("acceptedFailures").asInt())
          .append(" failure(s) accepted");
    }
    return out.toString();
  }

  private static List<String> order(Map<String, Integer> byState) {
    List<String> order = new ArrayList<>(STATES);
    for (String state : byState.keySet()) {
      if (!order.contains(state)) {
        order.add(state); // a state this command line does not know yet
      }
    }
    return order;
  }

  private static Map<String, Integer> byState(JsonNode byState) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = byState.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(Text.printable(e.getKey()), e.getValue().asInt());
    }
    return out;
  }

  /**
   * A wave's shadow phase: samples compared, the worst device's comparison figure, the slowest
   * device's candidate p95 against what it serves, failures, and the verdict once there is one.
   */
  static String shadow(JsonNode shadow) {
    if (!shadow.isObject()) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    out.append(shadow.path("compared").asLong())
        .append(" compared on ")
        .append(shadow.path("devices").asInt())
        .append(shadow.path("devices").asInt() == 1 ? " device" : " devices");
    if (shadow.path("fromValidationSet").asLong() > 0) {
      out.append(" (")
          .append(shadow.path("fromValidationSet").asLong())
          .append(" from the validation set)");
    }
    out.append(" · ").append(Text.cell(shadow.path("comparison")));
    if (shadow.path("value").isNumber()) {
      out.append(String.format(Locale.ROOT, " worst %.4f", shadow.path("value").asDouble()));
    }
    if (shadow.path("candidateP95Ms").asDouble() > 0) {
      out.append(
          String.format(
              Locale.ROOT,
              " · p95 %.1f ms (serving %.1f ms, x%.2f)",
              shadow.path("candidateP95Ms").asDouble(),
              shadow.path("servingP95Ms").asDouble(),
              shadow.path("latencyRatio").asDouble()));
    }
    out.append(" · failures ").append(shadow.path("candidateFailures").asLong());
    if (shadow.path("loadFailures").asInt() > 0) {
      out.append(" · ").append(shadow.path("loadFailures").asInt()).append(" could not load it");
    }
    String verdict = Text.cell(shadow.path("verdict"));
    out.append(" · ").append(verdict.isEmpty() ? "deciding" : verdict);
    return out.toString();
  }

  /** The gate figures, when devices were judged. */
  static String gate(JsonNode gate) {
    if (!gate.isObject() || gate.path("judgedDevices").asInt() == 0) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    out.append(gate.path("judgedDevices").asInt()).append(" judged");
    if (gate.path("errorRateNow").isNumber()) {
      out.append(
          String.format(
              Locale.ROOT,
              " · errors %.2f %% (was %s)",
              gate.path("errorRateNow").asDouble(),
              gate.path("errorRateBefore").isNumber()
                  ? String.format(Locale.ROOT, "%.2f %%", gate.path("errorRateBefore").asDouble())
                  : "none"));
    }
    if (gate.path("p95NowMs").isNumber()) {
      out.append(
          String.format(
              Locale.ROOT,
              " · p95 %.1f ms (was %s)",
              gate.path("p95NowMs").asDouble(),
              gate.path("p95BeforeMs").isNumber()
                  ? String.format(Locale.ROOT, "%.1f ms", gate.path("p95BeforeMs").asDouble())
                  : "none"));
    }
    out.append(" · fallbacks ").append(gate.path("providerFallbacks").asInt());
    out.append(" · unhealthy ").append(gate.path("unhealthy").asInt());
    return out.toString();
  }

  /** What the operator can do next, when the rollout waits on them. */
  private static String nextStep(JsonNode r) {
    String id = Text.cell(r.path("id"));
    for (JsonNode wave : r.path("waves")) {
      if ("awaiting_approval".equals(wave.path("state").asText())) {
        return "wave "
            + (wave.path("index").asInt() + 1)
            + " awaits approval: modelfleet rollouts approve "
            + id;
      }
    }
    return switch (r.path("state").asText()) {
      case "created" -> "not started: modelfleet rollouts start " + id;
      case "paused" ->
          "paused: modelfleet rollouts resume "
              + id
              + " (accepts the failures so far), or rollback "
              + id;
      default -> "";
    };
  }

  private List<String> events(JsonNode r) {
    List<String> out = new ArrayList<>();
    for (JsonNode e : r.path("events")) {
      Instant at = instant(e.path("at"));
      out.add(
          (at == null ? Text.cell(e.path("at")) : clock.format(at))
              + " "
              + Text.cell(e.path("actor"))
              + " "
              + Text.cell(e.path("type"))
              + (e.path("wave").isNumber() ? " (wave " + (e.path("wave").asInt() + 1) + ")" : "")
              + ": "
              + Text.cell(e.path("detail")));
    }
    return out;
  }

  private static Instant instant(JsonNode node) {
    if (!node.isTextual()) {
      return null;
    }
    try {
      return Instant.parse(node.asText());
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
