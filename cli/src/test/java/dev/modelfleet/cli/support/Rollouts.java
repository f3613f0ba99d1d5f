package dev.modelfleet.cli.support;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Rollout objects shaped as GET /api/v1/rollouts/{id} answers them (docs/api.md). */
public final class Rollouts {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Rollouts() {}

  /**
   * A rollout of {@code waves} waves of 10 devices each: waves before {@code currentWave} all
   * active, the current one with {@code active} active and {@code failed} failed and the rest
   * downloading, later ones waiting.
   */
  public static ObjectNode rollout(
      String id,
      String state,
      int waves,
      int currentWave,
      int active,
      int failed,
      String... events) {
    ObjectNode r = JSON.createObjectNode();
    r.put("id", id);
    r.put("name", "detector 2 to plant-a");
    r.put("model", "detector");
    r.put("version", "2");
    r.put("selector", "site=plant-a");
    r.put("state", state);
    r.put("stateReason", state.equals("paused") ? "wave 2: 3 of 10 devices failed" : null);
    r.put("currentWave", currentWave);
    r.put("startedAt", "2026-11-26T09:58:00Z");
    if (state.equals("completed") || state.equals("aborted") || state.equals("rolled_back")) {
      r.put("finishedAt", "2026-11-26T09:59:30Z");
    }
    int totalActive = 0;
    int totalFailed = 0;
    ArrayNode list = r.putArray("waves");
    for (int i = 0; i < waves; i++) {
      ObjectNode wave = list.addObject();
      wave.put("index", i);
      wave.put("planned", 10);
      ObjectNode counts = wave.putObject("counts");
      counts.put("devices", 10);
      ObjectNode byState = counts.putObject("byState");
      if (i < currentWave || state.equals("completed")) {
        wave.put("state", "succeeded");
        byState.put("active", 10);
        totalActive += 10;
      } else if (i == currentWave) {
        wave.put("state", "running");
        byState.put("active", active);
        if (failed > 0) {
          byState.put("failed", failed);
        }
        if (10 - active - failed > 0) {
          byState.put("downloading", 10 - active - failed);
        }
        totalActive += active;
        totalFailed += failed;
        ObjectNode gate = wave.putObject("gate");
        gate.put("judgedDevices", active);
        gate.put("errorRateNow", 0.1);
        gate.put("errorRateBefore", 0.1);
        gate.put("p95NowMs", 4.2);
        gate.put("p95BeforeMs", 4.0);
        gate.put("providerFallbacks", 0);
        gate.put("unhealthy", failed);
      } else {
        wave.put("state", "waiting");
        byState.put("waiting", 10);
      }
    }
    ObjectNode totals = r.putObject("totals");
    totals.put("devices", 10 * waves);
    totals.putObject("byState").put("active", totalActive).put("failed", totalFailed);
    totals.put("activePercent", 100.0 * totalActive / (10 * waves));
    totals.put("failedPercent", 100.0 * totalFailed / (10 * waves));
    ArrayNode eventList = r.putArray("events");
    int second = 0;
    for (String event : events) {
      eventList
          .addObject()
          .put("at", String.format("2026-11-26T09:58:%02dZ", second++))
          .put("actor", "engine")
          .put("type", event)
          .put("wave", 0)
          .put("detail", event + " detail");
    }
    r.putArray("problems");
    return r;
  }
}
