package dev.modelfleet.e2e.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.modelfleet.e2e.AgentProcess;
import dev.modelfleet.e2e.Fleet;
import dev.modelfleet.e2e.InferenceClient;
import dev.modelfleet.e2e.RepoLayout;
import dev.modelfleet.e2e.RunningFleet;
import dev.modelfleet.e2e.Waits;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * deploy/observability against the real thing: every metric the Grafana dashboards and the
 * Prometheus alert rules use is exported by the packaged server (/q/metrics) or by a real agent
 * (/metrics on its local port) after it served a model, so no panel or alert watches a name that
 * does not exist. The agent's figures are checked too: one inference is one request.
 */
class ObservabilityTest {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Series Prometheus makes itself, not the targets. */
  private static final Set<String> PROMETHEUS_OWN = Set.of("up");

  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "offset",
          "inf",
          "nan");

  @RegisterExtension static final RunningFleet running = new RunningFleet();

  @Test
  void everyMetricOfTheDashboardsAndAlertsIsExported() throws Exception {
    Fleet fleet = running.fleet();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String model = "observed-" + run;
    AgentProcess agent = fleet.startAgent("obs-" + run, Map.of("obs-run", run));
    fleet.createModel(model);
    fleet.createVersion(model, "1");
    fleet.uploadVariant(model, "1", SampleModels.classifier(11));
    fleet.assign(model, "1", "obs-run=" + run);
    fleet.awaitActive(model, "1", List.of(agent), Duration.ofMinutes(2), line -> {});
    new InferenceClient(agent.inferenceUri()).inferWithSyntheticInputs(model);

    Map<String, Double> agentScrape = scrape(agent.inferenceUri().resolve("/metrics"));
    // every model run is a request: the successful ones are timed, the others failures
    String series = "{model=\"" + model + "\",version=\"1\"}";
    double runs = agentScrape.get("modelfleet_agent_inference_latency_seconds_count" + series);
    assertTrue(runs >= 1, "no timed inference in " + agentScrape);
    assertEquals(
        runs + agentScrape.getOrDefault("modelfleet_agent_inference_failures_total" + series, 0.0),
        agentScrape.get("modelfleet_agent_inference_requests_total" + series));
    assertEquals(
        1.0, agentScrape.get("modelfleet_agent_model_loads_total{model=\"" + model + "\"}"));
    assertTrue(agentScrape.get("modelfleet_agent_download_bytes_total") > 0);
    assertTrue(agentScrape.get("modelfleet_agent_last_sync_timestamp_seconds") > 0);
    // the e2e fleet runs mutual TLS: the device holds a certificate, and the gauge says until when
    assertTrue(
        agentScrape.get("modelfleet_agent_certificate_expiry_timestamp_seconds")
            > System.currentTimeMillis() / 1000.0);

    // a rollout that keeps running (it soaks for an hour), so that its devices are exported
    fleet.createVersion(model, "2");
    fleet.uploadVariant(model, "2", SampleModels.classifier(12));
    fleet
        .admin()
        .post(
            "/api/v1/rollouts",
            Map.of(
                "model",
                model,
                "version",
                "2",
                "selector",
                "obs-run=" + run,
                "waves",
                List.of(Map.of("percent", 100, "soakSeconds", 3600)),
                "start",
                true));
    URI serverMetrics = running.server().baseUri().resolve("/q/metrics");
    Map<String, Double> serverScrape =
        Waits.until(
            "the running rollout's devices in /q/metrics (fleet gauges refresh every 5 s)",
            Duration.ofSeconds(60),
            () -> {
              try {
                Map<String, Double> samples = scrape(serverMetrics);
                return names(samples).contains("modelfleet_rollout_devices") ? samples : null;
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });

    Set<String> exported = new TreeSet<>();
    exported.addAll(names(agentScrape));
    exported.addAll(names(serverScrape));

    Map<String, Set<String>> referenced = referencedMetrics(RepoLayout.find().root());
    assertFalse(referenced.isEmpty(), "no dashboard or rule found in deploy/observability");
    List<String> missing = new ArrayList<>();
    referenced.forEach(
        (name, where) -> {
          if (!exported.contains(name) && !PROMETHEUS_OWN.contains(name)) {
            missing.add(name + " (used by " + where + ")");
          }
        });
    assertTrue(missing.isEmpty(), "not exported by the server or the agent: " + missing);
  }

  @Test
  void metricNamesAreReadOutOfPromQl() {
    assertEquals(
        Set.of("a_bucket"),
        metricNames(
            "histogram_quantile(0.99, sum by (instance, le) (rate(a_bucket{x=\"y(z)\"}[5m]))) > 2"));
    assertEquals(
        Set.of("b", "c_total"),
        metricNames(
            "max(b{state=\"d\"}) / clamp_min(max(sum without (state) (c_total)), 1e-9) > 30 * 86400"));
    assertEquals(Set.of("up"), metricNames("up{job=\"modelfleet-server\"} == 0"));
  }

  /** Metric name to where it is used, from every dashboard and rule file. */
  static Map<String, Set<String>> referencedMetrics(Path repo) throws IOException {
    Map<String, Set<String>> used = new TreeMap<>();
    Path dir = repo.resolve("deploy/observability");
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        List<String> expressions = new ArrayList<>();
        if (name.endsWith(".rules.yml")) {
          JsonNode rules = new YAMLMapper().readTree(file.toFile());
          for (JsonNode group : rules.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
              expressions.add(rule.path("expr").asText());
            }
          }
        } else if (name.endsWith(".json")) {
          collectExpressions(new ObjectMapper().readTree(file.toFile()), expressions);
        }
        for (String expression : expressions) {
          assertFalse(expression.isBlank(), "an empty expression in " + name);
          for (String metric : metricNames(expression)) {
            used.computeIfAbsent(metric, m -> new TreeSet<>()).add(name);
          }
        }
      }
    }
    return used;
  }

  /** Every {@code expr} of a dashboard's panels (rows nest panels). */
  private static void collectExpressions(JsonNode node, List<String> into) {
    if (node.isObject()) {
      if (node.has("expr")) {
        into.add(node.get("expr").asText());
      }
      node.forEach(child -> collectExpressions(child, into));
    } else if (node.isArray()) {
      node.forEach(child -> collectExpressions(child, into));
    }
  }

  /**
   * The metric names in a PromQL expression: identifiers left once strings, label matchers, range
   * selectors and grouping clauses are taken out, that are neither functions (followed by a
   * parenthesis) nor keywords.
   */
  static Set<String> metricNames(String promql) {
    String s = promql.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
    s = s.replaceAll("\\{[^}]*}", " ");
    s = s.replaceAll("\\[[^]]*]", " ");
    s = s.replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(s);
    while (m.find()) {
      String word = m.group();
      boolean partOfNumber = m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1));
      String rest = s.substring(m.end()).stripLeading();
      if (partOfNumber || rest.startsWith("(") || PROMQL_WORDS.contains(word)) {
        continue;
      }
      names.add(word);
    }
    return names;
  }

  private static Map<String, Double> scrape(URI uri) throws Exception {
    return Waits.until(
        "metrics at " + uri,
        Duration.ofSeconds(30),
        () -> {
          try {
            HttpResponse<String> response =
                HTTP.send(
                    HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
              return null;
            }
            // the text format (the agent) or OpenMetrics (the server): Prometheus reads both
            String type = response.headers().firstValue("Content-Type").orElse("");
            assertTrue(
                type.startsWith("text/plain") || type.startsWith("application/openmetrics-text"),
                uri + " answers " + type);
            return parse(response.body());
          } catch (IOException e) {
            return null;
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
          }
        });
  }

  /**
   * The Prometheus text format and OpenMetrics alike: {@code name{labels} value}, comments (and
   * OpenMetrics' {@code # EOF}) skipped.
   */
  static Map<String, Double> parse(String text) {
    Map<String, Double> samples = new TreeMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = line.indexOf('{') < 0 ? line.indexOf(' ') : line.indexOf("} ") + 1;
      String value = line.substring(end).trim().split("\\s+")[0];
      samples.put(line.substring(0, end), Double.parseDouble(value));
    }
    return samples;
  }

  private static Set<String> names(Map<String, Double> samples) {
    Set<String> names = new TreeSet<>();
    for (String series : samples.keySet()) {
      int brace = series.indexOf('{');
      names.add(brace < 0 ? series : series.substring(0, brace));
    }
    return names;
  }
}
