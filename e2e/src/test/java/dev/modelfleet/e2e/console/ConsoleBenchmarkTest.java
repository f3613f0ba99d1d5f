package dev.modelfleet.e2e.console;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.TestDatabase;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The console's figures for docs/benchmarks.md, run with {@code -Dbench=true} (skipped otherwise):
 * server time of the overview, the device list's first page and a rollout page with 10,000 devices;
 * the delay from a rollout's state change on the server to the browser's page; the bytes of the
 * console's first load. Figures, not assertions: it prints them.
 */
class ConsoleBenchmarkTest {

  private static final int DEVICES = 10_000;
  private static final int WARMUP = 20;
  private static final int RUNS = 100;
  private static final int CHANGES = 30;

  @RegisterExtension static final RunningFleet running = RunningFleet.plaintextAgents();

  @Test
  @Timeout(900)
  void consoleFigures() throws Exception {
    assumeTrue(Boolean.getBoolean("bench"), "a benchmark: run with -Dbench=true");
    insertDevices();
    try {
      measure();
    } finally {
      // the database is shared with the other end-to-end tests: take these devices out of it
      try (Connection db =
              DriverManager.getConnection(TestDatabase.jdbcUrl(), "postgres", "postgres");
          var update = db.createStatement()) {
        update.executeUpdate(
            "update devices set status = 'decommissioned', decommissioned_at = now()"
                + " where labels->>'bench' = 'console'");
      }
    }
  }

  private void measure() throws Exception {
    var admin = running.fleet().admin();
    // a name of its own, so that the benchmark runs again on the same database
    String model = "bench-console-" + UUID.randomUUID().toString().substring(0, 8);
    admin.post("/api/v1/models", Map.of("name", model));
    admin.post("/api/v1/models/" + model + "/versions", Map.of("version", "1"));
    admin.upload(
        "/api/v1/models/" + model + "/versions/1/variants?precision=fp32&executionProvider=cpu",
        SampleModels.classifier(5));
    JsonNode rollout =
        admin.post(
            "/api/v1/rollouts",
            Map.of(
                "model",
                model,
                "version",
                "1",
                "selector",
                "bench=console",
                "waves",
                List.of(Map.of("percent", 1), Map.of("percent", 10), Map.of("percent", 100)),
                "start",
                true));
    String id = rollout.path("id").asText();
    // the planner's statistics as autovacuum keeps them for a fleet that did not appear a moment
    // ago: 10,000 devices and rollout rows inserted at once are not yet known to it
    try (Connection db =
            DriverManager.getConnection(TestDatabase.jdbcUrl(), "postgres", "postgres");
        var analyze = db.createStatement()) {
      analyze.execute("analyze");
    }

    try (ConsoleBrowser browser = ConsoleBrowser.open(running.server().baseUri())) {
      browser.signIn(running.server().adminToken());
      String session = browser.driver().manage().getCookieNamed("mf_session").getValue();
      HttpClient http = HttpClient.newHttpClient();
      for (String page :
          List.of(
              "/console",
              "/console/devices",
              "/console/rollouts/" + id,
              "/console/rollouts/" + id + "/live")) {
        report(page, time(http, session, page));
      }

      // first load: the overview and everything it pulls in, as the browser transferred it
      // (this browser's first visit to the overview: nothing of it is cached yet)
      Object bytes =
          browser.script(
              "const nav = performance.getEntriesByType('navigation')[0];"
                  + "return performance.getEntriesByType('resource').reduce((s, r) => s +"
                  + " (r.transferSize || r.encodedBodySize), nav.transferSize ||"
                  + " nav.encodedBodySize);");
      System.out.printf(Locale.ROOT, "console first load (sign-in to overview): %s bytes%n", bytes);

      // live delay: pause and resume the rollout through the API; time until the page shows it
      browser.go("/console/rollouts/" + id);
      browser.await("the rollout page", () -> browser.present("#rollout-state"));
      browser.script(
          "window.mfSeen = [];"
              + "new MutationObserver(() => { const s = document.getElementById('rollout-state');"
              + " if (s) window.mfSeen.push([s.textContent, Date.now()]); })"
              + ".observe(document.getElementById('live'), {childList: true, subtree: true});");
      List<Double> delays = new ArrayList<>();
      for (int i = 0; i < CHANGES; i++) {
        String action = i % 2 == 0 ? "pause" : "resume";
        String expected = i % 2 == 0 ? "paused" : "running";
        long before = System.currentTimeMillis();
        admin.post("/api/v1/rollouts/" + id + "/" + action, Map.of());
        long after = System.currentTimeMillis();
        Number seenAt =
            Waits.until(
                "the page to show " + expected,
                Duration.ofSeconds(10),
                () ->
                    (Number)
                        browser.script(
                            "const hit = window.mfSeen.find(e => e[0] === arguments[0] && e[1] >="
                                + " arguments[1]); return hit ? hit[1] : null;",
                            expected,
                            before));
        // from the moment the change was committed (the API call returned) to the page
        delays.add((double) Math.max(0, seenAt.longValue() - after));
      }
      report("live update delay (API change committed -> page shows it)", delays);
    } finally {
      admin.post("/api/v1/rollouts/" + id + "/abort", Map.of());
    }
  }

  private static void insertDevices() throws Exception {
    try (Connection db =
            DriverManager.getConnection(TestDatabase.jdbcUrl(), "postgres", "postgres");
        PreparedStatement insert =
            db.prepareStatement(
                "insert into devices (id, name, labels, status, public_key, credential_hash,"
                    + " installed, enrolled_at, last_seen_at) values (?, ?, ?::jsonb, 'active',"
                    + " ?, ?, ?::jsonb, now() - (? * interval '1 second'), now())")) {
      db.setAutoCommit(false);
      for (int i = 0; i < DEVICES; i++) {
        insert.setObject(1, UUID.randomUUID());
        insert.setString(2, "bench-" + i);
        insert.setString(3, "{\"bench\": \"console\", \"site\": \"site-" + (i % 20) + "\"}");
        // one device per key (V31): a key of its own each
        byte[] key = new byte[44];
        java.util.concurrent.ThreadLocalRandom.current().nextBytes(key);
        insert.setBytes(4, key);
        insert.setString(5, "0".repeat(64));
        insert.setString(
            6,
            i % 2 == 0
                ? "[{\"model\": \"bench-old\", \"version\": \"" + (i % 3) + "\", \"active\": true}]"
                : "[]");
        insert.setInt(7, DEVICES - i);
        insert.addBatch();
        if (i % 1000 == 999) {
          insert.executeBatch();
        }
      }
      db.commit();
    }
  }

  private static List<Double> time(HttpClient http, String session, String path) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(running.server().baseUri().resolve(path))
            .header("Cookie", "mf_session=" + session)
            .build();
    List<Double> ms = new ArrayList<>();
    for (int i = 0; i < WARMUP + RUNS; i++) {
      long start = System.nanoTime();
      HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      double took = (System.nanoTime() - start) / 1e6;
      if (response.statusCode() != 200) {
        throw new IllegalStateException(path + ": " + response.statusCode());
      }
      if (i >= WARMUP) {
        ms.add(took);
      }
    }
    return ms;
  }

  private static void report(String what, List<Double> ms) {
    double[] sorted = ms.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    System.out.printf(
        Locale.ROOT,
        "console bench | %s | n=%d p50 %.1f ms p95 %.1f ms max %.1f ms%n",
        what,
        sorted.length,
        sorted[sorted.length / 2],
        sorted[(int) Math.ceil(sorted.length * 0.95) - 1],
        Arrays.stream(sorted).max().orElse(0));
  }
}
