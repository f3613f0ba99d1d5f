package dev.modelfleet.e2e.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.e2e.AdminClient;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.ServerProcess;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The command line's figures (issue 13): {@code modelfleet variants push} of a 100 MB model against
 * curl sending the same body to the same endpoint, in interleaved rounds so that the machine's
 * drift hits both alike.
 */
final class CliBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  private CliBench() {}

  /** The launcher an operator runs, with the server and token from the environment. */
  static ProcessBuilder modelfleet(
      RepoLayout repo, ServerProcess server, Path work, String... args) {
    List<String> command = new ArrayList<>();
    command.add(repo.root().resolve("cli/modelfleet").toString());
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().keySet().removeIf(k -> k.startsWith("MODELFLEET_"));
    builder.environment().put("MODELFLEET_CONFIG", work.resolve("cli-config.yaml").toString());
    builder.environment().put("MODELFLEET_SERVER", server.baseUri().toString());
    builder.environment().put("MODELFLEET_TOKEN", server.adminToken());
    builder.environment().put("NO_COLOR", "1");
    return builder;
  }

  static void push(RepoLayout repo, ServerProcess server, Path work, int rounds, ReportRows row)
      throws Exception {
    AdminClient admin = server.admin();
    String model = "bench-push";
    Path file = work.resolve("push-100mb.onnx");
    Files.write(file, SampleModels.classifier(42, 1024, 25_600, 2));
    long size = Files.size(file);
    admin.post("/api/v1/models", Map.of("name", model));
    List<Double> cli = new ArrayList<>();
    List<Double> curl = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      // who goes first alternates, so that a trend in the machine's load favours neither
      for (boolean cliTurn :
          round % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true}) {
        String version = (cliTurn ? "cli-" : "curl-") + round;
        admin.post("/api/v1/models/" + model + "/versions", Map.of("version", version));
        Benchmarks.progress("push: round " + (round + 1) + "/" + rounds + ", " + version);
        double seconds =
            cliTurn
                ? timed(
                    modelfleet(
                        repo,
                        server,
                        work,
                        "variants",
                        "push",
                        model,
                        version,
                        file.toString(),
                        "--precision",
                        "fp32",
                        "--ep",
                        "cpu",
                        "-o",
                        "json"))
                : timed(
                    new ProcessBuilder(
                        "curl",
                        "-sS",
                        "-f",
                        "-o",
                        "/dev/null",
                        "-H",
                        "Authorization: Bearer " + server.adminToken(),
                        "-H",
                        "Content-Type: application/octet-stream",
                        "-H",
                        "Expect:",
                        "--data-binary",
                        "@" + file,
                        server.baseUri()
                            + "/api/v1/models/"
                            + model
                            + "/versions/"
                            + version
                            + "/variants?precision=fp32&executionProvider=cpu"));
        (cliTurn ? cli : curl).add(size / 1048576.0 / seconds);
      }
    }
    double cliMedian = median(cli);
    double curlMedian = median(curl);
    row.row(
        "CLI push: `modelfleet variants push` of a "
            + Benchmarks.mb(size)
            + " model (JVM start, upload, server checks)",
        String.format(Locale.ROOT, "median %.0f MB/s of %s", cliMedian, format(cli)),
        "");
    row.row(
        "CLI push baseline: curl --data-binary of the same body to the same endpoint",
        String.format(Locale.ROOT, "median %.0f MB/s of %s", curlMedian, format(curl)),
        "");
    List<Double> ratios = new ArrayList<>();
    for (int i = 0; i < Math.min(cli.size(), curl.size()); i++) {
      ratios.add(cli.get(i) / curl.get(i));
    }
    row.row(
        "**CLI push ratio CLI / curl** (medians; per round " + format2(ratios) + ")",
        String.format(Locale.ROOT, "**%.2f**", cliMedian / curlMedian),
        "≥ 0.9");
  }

  /** Runs a command to its end; its wall time in seconds. Fails on a non-zero exit. */
  static double timed(ProcessBuilder command) throws IOException, InterruptedException {
    command.redirectErrorStream(true);
    long start = System.nanoTime();
    Process process = command.start();
    String output;
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      output = String.join("\n", out.lines().toList());
    }
    int exit = process.waitFor();
    double seconds = (System.nanoTime() - start) / 1e9;
    if (exit != 0) {
      throw new IllegalStateException(command.command() + " failed (" + exit + "): " + output);
    }
    return seconds;
  }

  static JsonNode json(String line) throws IOException {
    return JSON.readTree(line);
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static String format(List<Double> values) {
    return values.stream().map(v -> String.format(Locale.ROOT, "%.0f", v)).toList().toString();
  }

  private static String format2(List<Double> values) {
    return values.stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList().toString();
  }
}
