package dev.modelfleet.agent.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus text format the agent writes by hand, line by line. */
class MetricsTest {

  @Test
  void countersWriteHelpTypeAndOneLinePerSeries() {
    Metrics metrics = new Metrics();
    Metrics.Counter counter = metrics.counter("x_total", "Things\nseen", "reason");
    counter.touch("quiet");
    counter.inc("a\"b\\c");
    counter.add(2.5, "a\"b\\c");
    String text = metrics.scrape();
    assertTrue(text.startsWith("# HELP x_total Things\\nseen\n# TYPE x_total counter\n"), text);
    assertTrue(text.contains("x_total{reason=\"quiet\"} 0\n"), text);
    assertTrue(text.contains("x_total{reason=\"a\\\"b\\\\c\"} 3.5\n"), text);
  }

  @Test
  void aCounterWithoutLabelsIsThereAtZeroFromTheStart() {
    Metrics metrics = new Metrics();
    metrics.counter("bytes_total", "Bytes");
    assertTrue(metrics.scrape().contains("\nbytes_total 0\n"));
  }

  @Test
  void histogramsAreCumulativeWithInfCountAndSum() {
    Metrics metrics = new Metrics();
    Metrics.Histogram latency =
        metrics.histogram("lat_seconds", "Latency", new double[] {0.1, 1}, "model");
    latency.observe(0.05, "m");
    latency.observe(0.5, "m");
    latency.observe(7, "m");
    String text = metrics.scrape();
    assertTrue(text.contains("lat_seconds_bucket{model=\"m\",le=\"0.1\"} 1\n"), text);
    assertTrue(text.contains("lat_seconds_bucket{model=\"m\",le=\"1\"} 2\n"), text);
    assertTrue(text.contains("lat_seconds_bucket{model=\"m\",le=\"+Inf\"} 3\n"), text);
    assertTrue(text.contains("lat_seconds_count{model=\"m\"} 3\n"), text);
    assertTrue(text.contains("lat_seconds_sum{model=\"m\"} 7.55\n"), text);
  }

  @Test
  void gaugesAreReadAtEachScrape() {
    Metrics metrics = new Metrics();
    double[] value = {1};
    metrics.gauge("g", "A gauge", () -> value[0]);
    metrics.gauge("info", "Info", () -> Map.of(List.of("cpu"), 1.0), "provider");
    assertTrue(metrics.scrape().contains("\ng 1\n"));
    value[0] = Double.NaN;
    String text = metrics.scrape();
    assertTrue(text.contains("\ng NaN\n"), text);
    assertTrue(text.contains("info{provider=\"cpu\"} 1\n"), text);
  }

  @Test
  void theWrongNumberOfLabelValuesIsAProgrammingError() {
    Metrics.Counter counter = new Metrics().counter("c_total", "C", "a", "b");
    assertThrows(IllegalArgumentException.class, () -> counter.inc("only-one"));
  }

  @Test
  void agentMetricsCountRunsFailuresAndSwaps() {
    AgentMetrics metrics = new AgentMetrics();
    metrics.inferenceRan("m", "1", 2_000_000);
    metrics.inferenceFailed("m", "1");
    metrics.modelLoaded("m", false);
    metrics.modelLoaded("m", true);
    String text = metrics.scrape();
    assertTrue(
        text.contains("modelfleet_agent_inference_requests_total{model=\"m\",version=\"1\"} 2\n"),
        text);
    assertTrue(
        text.contains("modelfleet_agent_inference_failures_total{model=\"m\",version=\"1\"} 1\n"),
        text);
    assertTrue(
        text.contains(
            "modelfleet_agent_inference_latency_seconds_bucket{model=\"m\",version=\"1\",le=\"0.0025\"} 1\n"),
        text);
    assertTrue(text.contains("modelfleet_agent_model_loads_total{model=\"m\"} 2\n"), text);
    assertEquals(
        1,
        text.lines()
            .filter(l -> l.equals("modelfleet_agent_model_swaps_total{model=\"m\"} 1"))
            .count(),
        text);
  }
}
