package dev.modelfleet.e2e.faults;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** One metric read off a Prometheus endpoint (the server's /q/metrics, an agent's /metrics). */
final class MetricsScrape {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private MetricsScrape() {}

  /**
   * The sum of every series of {@code name} (all label sets), or NaN when the endpoint does not
   * export it.
   *
   * @throws IOException when the endpoint does not answer 200
   */
  static double value(URI endpoint, String name) throws IOException {
    HttpResponse<String> response;
    try {
      response =
          HTTP.send(
              HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (response.statusCode() != 200) {
      throw new IOException(endpoint + " answered " + response.statusCode());
    }
    double sum = Double.NaN;
    for (String line : response.body().split("\n")) {
      if (line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      int brace = line.indexOf('{');
      String series = line.substring(0, Math.max(space, 0));
      String metric = brace > 0 ? line.substring(0, brace) : series;
      if (metric.equals(name)) {
        double value = Double.parseDouble(line.substring(space + 1));
        sum = Double.isNaN(sum) ? value : sum + value;
      }
    }
    return sum;
  }
}
