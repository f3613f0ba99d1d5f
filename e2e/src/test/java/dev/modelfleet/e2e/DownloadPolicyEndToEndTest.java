package dev.modelfleet.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real agent on a metered link under a real download policy: with its window closed it fetches
 * nothing, says it waits for the window, and downloads once the window opens; then under a rate cap
 * the next version takes at least as long as the cap allows. A daily byte budget stops a download
 * part way and the next day's budget finishes it from where it stopped.
 */
class DownloadPolicyEndToEndTest {

  @RegisterExtension
  static final RunningFleet running =
      RunningFleet.withServerEnv(
          // whole artifacts only: the rate check divides the variant's own size by the time taken
          Map.of("MODELFLEET_HEARTBEAT_INTERVAL", "2s", "MODELFLEET_DELTA_COMPRESSION", "false"));

  private static final Duration LIMIT = Duration.ofSeconds(180);
  private static final DateTimeFormatter HHMM = DateTimeFormatter.ofPattern("HH:mm");
  private static final long RATE = 200_000;

  @Test
  @Timeout(600)
  void nothingIsDownloadedBeforeTheWindowOpensAndTheRateCapHoldsTheDownloadDown() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String model = "policy-" + run;
    String selector = "policy-run=" + run;
    Fleet fleet = running.fleet();
    // A window opening at a whole minute (the policy's resolution) some minutes from now on the
    // agent's clock, which runs ahead (its test-only clock-offset-seconds) so that the window
    // opens about 90 s from now in real time: the test needs no wait for the next free minutes.
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    ZonedDateTime opens = now.truncatedTo(ChronoUnit.MINUTES).plusMinutes(4);
    long aheadSeconds = Duration.between(now, opens).minusSeconds(90).toSeconds();
    ZonedDateTime opensHere = opens.minusSeconds(aheadSeconds);
    AgentProcess agent = meteredAgent("e2e-policy-" + run, Map.of("policy-run", run), aheadSeconds);
    String deviceId = fleet.deviceIdOf(agent);
    modelWithVersionOne(model, 191);
    LocalTime start = opens.toLocalTime();
    String policyId =
        fleet
            .admin()
            .post(
                "/api/v1/download-policies",
                Map.of(
                    "name",
                    "e2e-" + run,
                    "selector",
                    selector,
                    "windows",
                    List.of(HHMM.format(start) + "-" + HHMM.format(start.plusHours(1))),
                    "timeZone",
                    "UTC",
                    "meteredOnly",
                    true))
            .path("id")
            .asText();
    long servedBefore = served();
    fleet.assign(model, "1", selector);

    JsonNode waiting = awaitWaiting(deviceId, model, "waiting_window");
    assertEquals(0, waiting.path("bytesDone").asLong(), waiting.toString());
    assertTrue(waiting.path("reason").asText().contains(HHMM.format(start)), waiting.toString());
    assertEquals(0, served() - servedBefore, "no artifact byte left the server before the window");

    fleet.awaitActive(
        model,
        "1",
        List.of(agent),
        Duration.between(ZonedDateTime.now(ZoneOffset.UTC), opensHere).plus(LIMIT),
        line -> {});
    assertTrue(
        !ZonedDateTime.now(ZoneOffset.UTC).isBefore(opensHere),
        "active before the window opened at " + opens + " on the agent's clock");

    // Now any time, at 200 kB/s: an unrelated 2 MB version (no delta) takes about 10 s.
    fleet
        .admin()
        .put(
            "/api/v1/download-policies/" + policyId,
            Map.of("windows", List.of(), "rateBytesPerSecond", RATE));
    byte[] v2 = SampleModels.classifier(192, 256, 2048, 10);
    fleet.createVersion(model, "2");
    fleet.uploadVariant(model, "2", v2);
    long started = System.nanoTime();
    fleet.assign(model, "2", selector);
    fleet.awaitActive(model, "2", List.of(agent), LIMIT, line -> {});
    double seconds = (System.nanoTime() - started) / 1e9;

    // The agent's bucket holds one second at most: a load can only make it slower than this.
    double floor = (v2.length - RATE) / (double) RATE;
    assertTrue(
        seconds >= floor * 0.95,
        v2.length + " bytes at a " + RATE + " B/s cap arrived in " + seconds + " s");
    System.out.printf(
        "download policy e2e: %d bytes under a %d B/s cap in %.1f s (%.0f B/s)%n",
        v2.length, RATE, seconds, v2.length / seconds);
  }

  @Test
  @Timeout(600)
  void aSpentBudgetStopsTheDownloadAndTheNextDayFinishesItWhereItStopped() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String model = "budget-" + run;
    String selector = "budget-run=" + run;
    Fleet fleet = running.fleet();
    // The agent's clock runs ahead so that its midnight (UTC, the policy's zone) comes about 90 s
    // from now in real time: the next day's budget without waiting for the next day.
    ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
    ZonedDateTime midnight = now.toLocalDate().plusDays(1).atStartOfDay(ZoneOffset.UTC);
    long aheadSeconds = Duration.between(now, midnight).minusSeconds(90).toSeconds();
    ZonedDateTime midnightHere = midnight.minusSeconds(aheadSeconds);
    AgentProcess agent = meteredAgent("e2e-budget-" + run, Map.of("budget-run", run), aheadSeconds);
    String deviceId = fleet.deviceIdOf(agent);
    byte[] v1 = modelWithVersionOne(model, 193);
    long budget = v1.length / 2;
    fleet
        .admin()
        .post(
            "/api/v1/download-policies",
            Map.of(
                "name",
                "e2e-" + run,
                "selector",
                selector,
                "timeZone",
                "UTC",
                "dailyBudgetBytes",
                budget,
                "meteredOnly",
                true));
    long servedBefore = served();
    fleet.assign(model, "1", selector);

    JsonNode waiting = awaitWaiting(deviceId, model, "waiting_budget");
    long done = waiting.path("bytesDone").asLong();
    assertTrue(done > 0 && done <= budget, "stopped at the budget: " + waiting);
    assertTrue(
        waiting.path("reason").asText().contains(midnight.toLocalDate().toString()),
        "says the download goes on the next day: " + waiting);
    // The agent asked for a closed range ending at the budget: the server sent no more than that
    // (an open-ended request stopped by the agent let the whole rest of the file through here).
    Waits.until(
        "the server counted the bytes it sent", LIMIT, () -> served() - servedBefore == done);

    fleet.awaitActive(
        model,
        "1",
        List.of(agent),
        Duration.between(ZonedDateTime.now(ZoneOffset.UTC), midnightHere).plus(LIMIT),
        line -> {});
    assertTrue(
        !ZonedDateTime.now(ZoneOffset.UTC).isBefore(midnightHere),
        "active before the agent's next day began at " + midnightHere);
    // The agent's count of the new day's bytes: the rest of the file, so it resumed where it
    // stopped instead of starting over.
    Path counted = agent.stateDir().resolve("download-budget");
    Waits.until(
        "the agent counted the new day's bytes",
        LIMIT,
        () -> {
          try {
            return Files.readString(counted).strip().startsWith(midnight.toLocalDate() + " ");
          } catch (IOException e) {
            return false;
          }
        });
    assertEquals(
        midnight.toLocalDate() + " " + (v1.length - done),
        Files.readString(counted).strip(),
        "the second day fetched only what the first left");
    assertEquals(v1.length, served() - servedBefore, "bytes sent over both days");
  }

  /** The device's deployment once it says it waits for the policy, with {@code reasonCode}. */
  private static JsonNode awaitWaiting(String deviceId, String model, String reasonCode) {
    return Waits.until(
        deviceId + " to report " + reasonCode + " for " + model,
        LIMIT,
        () -> {
          JsonNode deployment = running.fleet().deploymentOf(deviceId, model);
          return reasonCode.equals(deployment.path("reasonCode").asText()) ? deployment : null;
        });
  }

  /**
   * An agent on a metered link in UTC whose download policy reads a clock {@code aheadSeconds}
   * ahead of real time (its test-only clock offset).
   */
  private static AgentProcess meteredAgent(
      String name, Map<String, String> labels, long aheadSeconds) {
    return running
        .fleet()
        .startAgent(
            name,
            labels,
            "--metered",
            "true",
            "--time-zone",
            "UTC",
            "--clock-offset-seconds",
            Long.toString(aheadSeconds));
  }

  /** Creates {@code model} with a version 1 of about 2 MB (no delta to anything); its bytes. */
  private static byte[] modelWithVersionOne(String model, int seed) {
    Fleet fleet = running.fleet();
    byte[] v1 = SampleModels.classifier(seed, 256, 2048, 10);
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", v1);
    return v1;
  }

  private static long served() {
    String metrics = running.fleet().admin().getText("/q/metrics");
    Matcher m =
        Pattern.compile("(?m)^modelfleet_artifact_served_bytes_total\\{[^}]*\\} ([0-9.eE+]+)$")
            .matcher(metrics);
    long total = 0;
    while (m.find()) {
      total += (long) Double.parseDouble(m.group(1));
    }
    return total;
  }
}
