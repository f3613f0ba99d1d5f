package dev.modelfleet.server.support;

import static io.restassured.RestAssured.given;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One scrape of {@code /q/metrics} in the Prometheus text format: each sample by its series ({@code
 * name{label="value",...}} exactly as exposed, or the bare name when it has no labels).
 */
public record Scrape(Map<String, Double> samples) {

  public static Scrape server() {
    String text = given().get("/q/metrics").then().statusCode(200).extract().body().asString();
    return parse(text);
  }

  public static Scrape parse(String text) {
    Map<String, Double> samples = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      // name{labels} value [timestamp]: label values may hold spaces, so split after the '}'
      int end = line.indexOf('{') < 0 ? line.indexOf(' ') : line.lastIndexOf('}') + 1;
      String series = line.substring(0, end);
      String value = line.substring(end).trim().split("\\s+")[0];
      samples.put(series, Double.parseDouble(value));
    }
    return new Scrape(samples);
  }

  /** The names of every sample (with _bucket, _count, _sum where a histogram has them). */
  public Set<String> names() {
    Set<String> names = new TreeSet<>();
    for (String series : samples.keySet()) {
      int brace = series.indexOf('{');
      names.add(brace < 0 ? series : series.substring(0, brace));
    }
    return names;
  }

  /**
   * The sum of the samples of {@code name} carrying every one of {@code labels} ({@code
   * key="value"} strings); 0 when none does.
   */
  public double sum(String name, String... labels) {
    double sum = 0;
    for (var entry : samples.entrySet()) {
      String series = entry.getKey();
      if (!(series.equals(name) || series.startsWith(name + "{"))) {
        continue;
      }
      boolean all = true;
      for (String label : labels) {
        all &= series.contains(label);
      }
      if (all) {
        sum += entry.getValue();
      }
    }
    return sum;
  }
}
