package dev.modelfleet.server.common;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.stream.Stream;

/**
 * Admin API latency as a histogram ({@code http_server_requests_seconds_bucket}), so dashboards can
 * take quantiles across replicas. Ten fixed buckets, not Micrometer's seventy-odd: the series
 * multiply by route and status.
 */
public class HttpRequestHistogram {

  private static final double[] BUCKETS_NANOS =
      Stream.of(5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000)
          .mapToDouble(ms -> Duration.ofMillis(ms).toNanos())
          .toArray();

  @Produces
  @Singleton
  MeterFilter httpServerRequestBuckets() {
    return new MeterFilter() {
      @Override
      public DistributionStatisticConfig configure(
          Meter.Id id, DistributionStatisticConfig config) {
        if (!id.getName().equals("http.server.requests")) {
          return config;
        }
        return DistributionStatisticConfig.builder()
            .serviceLevelObjectives(BUCKETS_NANOS)
            .build()
            .merge(config);
      }
    };
  }
}
