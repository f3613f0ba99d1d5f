package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.RolloutDefaults;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.e2e.sim.SimulatedFleet;
import dev.modelfleet.e2e.sim.SimulatorOptions;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code modelfleet rollouts watch} on a rollout to 1,000 simulated devices: how long after a
 * device became active on the server (its deployment report's timestamp) each watcher's output
 * showed it (the first {@code -o json} line whose active count reaches that device's rank), and the
 * server CPU time of a rollout watched by 10 command lines against the same rollout unwatched.
 */
final class WatchBench {

  private static final String MODEL = "bench-watch";

  /** One line a watcher printed, and when it arrived. */
  private record Seen(Instant at, int active) {}

  private WatchBench() {}

  static void run(
      RepoLayout repo, ServerProcess server, Path work, int devices, int watchers, ReportRows row)
      throws Exception {
    AdminClient admin = server.admin();
    admin.post("/api/v1/models", Map.of("name", MODEL));
    for (int v = 1; v <= 3; v++) {
      admin.post("/api/v1/models/" + MODEL + "/versions", Map.of("version", "" + v));
      admin.upload(
          "/api/v1/models/"
              + MODEL
              + "/versions/"
              + v
              + "/variants?precision=fp32&executionProvider=cpu",
          SampleModels.classifier(900 + v));
    }
    Path rootKey = work.resolve("watch-root.pub.pem");
    Files.writeString(rootKey, admin.getText("/api/v1/trust/root.pem"));
    JsonNode token =
        admin.post(
            "/api/v1/enrollment-tokens",
            Map.of(
                "name",
                "bench-watch",
                "labels",
                Map.of("bench", "watch"),
                "maxUses",
                devices,
                "expiresInSeconds",
                3600));
    Path downloads = work.resolve("watch-downloads");
    Files.createDirectories(downloads);
    Benchmarks.progress("watch: enrolling " + devices + " simulated devices");
    try (SimulatedFleet fleet =
        SimulatedFleet.start(
            SimulatorOptions.parse(
                "--server", server.grpcTarget(),
                "--token", token.path("token").asText(),
                "--devices", Integer.toString(devices),
                "--download-path", "http",
                "--download-dir", downloads.toString(),
                "--root-key", rootKey.toString(),
                "--name-prefix", "bench-watch"),
            null)) {
      int connected = awaitConnected(fleet, devices);
      if (connected < devices) {
        Benchmarks.progress(
            "watch: only "
                + connected
                + " of "
                + devices
                + " devices enrolled; going on with them");
      }
      Waits.sleep(Duration.ofSeconds(3));
      Benchmarks.progress("watch: warm-up rollout of version 1, unwatched");
      rollout(repo, server, work, "1", 0);
      Benchmarks.progress("watch: rollout of version 2, unwatched");
      Result alone = rollout(repo, server, work, "2", 0);
      Benchmarks.progress("watch: rollout of version 3, " + watchers + " command lines watching");
      Result watched = rollout(repo, server, work, "3", watchers);

      List<Long> delays = delays(admin, watched);
      Collections.sort(delays);
      row.row(
          String.format(
              Locale.ROOT,
              "CLI watch: device active on the server → shown by `rollouts watch -o json`, %d devices × %d watchers",
              connected,
              watchers),
          String.format(
              Locale.ROOT,
              "p50 %d ms, p95 %d ms, max %d ms (%d samples)",
              percentile(delays, 50),
              percentile(delays, 95),
              delays.get(delays.size() - 1),
              delays.size()),
          "p95 ≤ 500 ms");
      row.row(
          "CLI watch: updates each watcher received during the rollout",
          String.format(
              Locale.ROOT,
              "median %d over %.1f s",
              watched.lines().stream().map(List::size).sorted().toList().get(watchers / 2),
              watched.seconds()),
          "");
      row.row(
          "CLI watch: server CPU time of the rollout, unwatched vs " + watchers + " watchers",
          String.format(
              Locale.ROOT,
              "%.1f s (%.1f s rollout) vs %.1f s (%.1f s rollout): %+.1f s",
              alone.cpu(),
              alone.seconds(),
              watched.cpu(),
              watched.seconds(),
              watched.cpu() - alone.cpu()),
          "");
    }
  }

  /**
   * Waits until every device is connected, or until the count stops growing for a minute (on an
   * overloaded machine an enrollment can fail for want of a database connection, and the simulator
   * does not enroll again); how many are connected.
   */
  private static int awaitConnected(SimulatedFleet fleet, int devices) {
    long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
    int last = -1;
    long lastGrew = System.nanoTime();
    while (System.nanoTime() < deadline) {
      int now = fleet.snapshot().connected();
      if (now == devices) {
        return now;
      }
      if (now != last) {
        last = now;
        lastGrew = System.nanoTime();
      } else if (now > 0 && System.nanoTime() - lastGrew > Duration.ofMinutes(1).toNanos()) {
        return now;
      }
      Waits.sleep(Duration.ofSeconds(1));
    }
    throw new IllegalStateException("only " + last + " of " + devices + " devices connected");
  }

  private record Result(String rolloutId, double seconds, double cpu, List<List<Seen>> lines) {}

  private static Result rollout(
      RepoLayout repo, ServerProcess server, Path work, String version, int watchers)
      throws Exception {
    AdminClient admin = server.admin();
    Map<String, Object> body = new HashMap<>();
    body.put("model", MODEL);
    body.put("version", version);
    body.put("selector", "bench=watch");
    body.put("start", false);
    body.put(
        "waves",
        List.of(
            Map.of("percent", 1),
            Map.of("percent", 10),
            Map.of("percent", 50),
            Map.of("percent", 100)));
    body.put("defaults", RolloutDefaults.everyDeviceActive(0, 600));
    String id = admin.post("/api/v1/rollouts", body).path("id").asText();
    List<Process> processes = new ArrayList<>();
    List<List<Seen>> lines = new ArrayList<>();
    List<Thread> readers = new ArrayList<>();
    for (int i = 0; i < watchers; i++) {
      Process p =
          CliBench.modelfleet(repo, server, work, "rollouts", "watch", id, "-o", "json")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
      Thread reader = new Thread(() -> read(p, seen), "watch-reader-" + i);
      reader.setDaemon(true);
      reader.start();
      processes.add(p);
      lines.add(seen);
      readers.add(reader);
    }
    Waits.until(
        "every watcher to show the rollout",
        Duration.ofSeconds(60),
        () -> lines.stream().allMatch(l -> !l.isEmpty()));
    double cpuBefore = server.cpuSeconds();
    long start = System.nanoTime();
    admin.post("/api/v1/rollouts/" + id + "/start", Map.of());
    Waits.until(
        "the rollout to complete",
        Duration.ofMinutes(10),
        () -> {
          String state = admin.get("/api/v1/rollouts/" + id).path("state").asText();
          if (!state.equals("running") && !state.equals("completed")) {
            throw new IllegalStateException("the benchmark rollout is " + state);
          }
          return state.equals("completed");
        });
    double seconds = (System.nanoTime() - start) / 1e9;
    double cpu = server.cpuSeconds() - cpuBefore;
    for (Process p : processes) {
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroy();
        throw new IllegalStateException("a watcher did not end after the rollout completed");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException("a watcher ended with " + p.exitValue());
      }
    }
    for (Thread reader : readers) {
      reader.join(10_000);
    }
    return new Result(id, seconds, cpu, lines);
  }

  private static void read(Process process, List<Seen> seen) {
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        Instant at = Instant.now();
        if (line.startsWith("{")) {
          seen.add(
              new Seen(
                  at, CliBench.json(line).path("totals").path("byState").path("active").asInt()));
        }
      }
    } catch (IOException e) {
      // the process ended
    }
  }

  /**
   * For the k-th device to become active (by the server's timestamp of its report), the time until
   * each watcher printed an object with at least k devices active.
   */
  private static List<Long> delays(AdminClient admin, Result watched) {
    List<Instant> activeAt = new ArrayList<>();
    for (JsonNode member : admin.get("/api/v1/rollouts/" + watched.rolloutId() + "/devices")) {
      JsonNode history =
          admin.get("/api/v1/devices/" + member.path("deviceId").asText() + "/history?limit=20");
      for (JsonNode line : history) {
        if (line.path("kind").asText().equals("active")
            && line.path("version").asText().equals("3")) {
          activeAt.add(Instant.parse(line.path("at").asText()));
          break;
        }
      }
    }
    Collections.sort(activeAt);
    List<Long> delays = new ArrayList<>();
    for (List<Seen> lines : watched.lines()) {
      List<Seen> seen = List.copyOf(lines);
      int next = 0;
      for (int k = 1; k <= activeAt.size(); k++) {
        while (next < seen.size() && seen.get(next).active() < k) {
          next++;
        }
        if (next == seen.size()) {
          break; // never shown: the last line is the completed rollout, so this does not happen
        }
        delays.add(Duration.between(activeAt.get(k - 1), seen.get(next).at()).toMillis());
      }
    }
    return delays;
  }

  private static long percentile(List<Long> sorted, int p) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
  }
}
