package dev.modelfleet.server.console;

import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A device's inference figures over time: the samples the database keeps per minute
 * (device_health_samples, filled by a trigger on device_model_health) and the latest heartbeat's
 * figures, per model version.
 */
@ApplicationScoped
public class HealthSamples {

  /**
   * One model version's figures in columns, as uPlot plots them: seconds since the epoch, p50 and
   * p95 latency in ms, and the error rate in percent of the requests counted so far.
   */
  public record Series(
      String model,
      String version,
      List<Long> at,
      List<Double> p50Ms,
      List<Double> p95Ms,
      List<Double> errorPercent) {}

  /** The latest figures of each version the device reported. */
  public record Latest(
      String model,
      String version,
      long requests,
      long errors,
      double p50Ms,
      double p95Ms,
      String executionProviderUsed,
      Instant reportedAt) {

    public double errorPercent() {
      return requests == 0 ? 0 : Math.round(10000.0 * errors / requests) / 100.0;
    }
  }

  @Transactional
  public List<Latest> versions(UUID device) {
    List<Latest> latest = new ArrayList<>();
    for (Object row :
        Panache.getEntityManager()
            .createNativeQuery(
                "select model, version, requests, errors, p50_ms, p95_ms, execution_provider_used,"
                    + " reported_at from device_model_health where device_id = ?1 order by"
                    + " reported_at desc")
            .setParameter(1, device)
            .getResultList()) {
      Object[] r = (Object[]) row;
      latest.add(
          new Latest(
              (String) r[0],
              (String) r[1],
              ((Number) r[2]).longValue(),
              ((Number) r[3]).longValue(),
              ((Number) r[4]).doubleValue(),
              ((Number) r[5]).doubleValue(),
              (String) r[6],
              instant(r[7])));
    }
    return latest;
  }

  @Transactional
  public List<Series> series(UUID device) {
    Map<String, Series> byVersion = new LinkedHashMap<>();
    for (Object row :
        Panache.getEntityManager()
            .createNativeQuery(
                "select model, version, at, requests, errors, p50_ms, p95_ms from ("
                    + " select model, version, at, requests, errors, p50_ms, p95_ms"
                    + " from device_health_samples where device_id = ?1"
                    + " union select model, version, reported_at, requests, errors, p50_ms, p95_ms"
                    + " from device_model_health where device_id = ?1) s"
                    + " order by model, version, at")
            .setParameter(1, device)
            .getResultList()) {
      Object[] r = (Object[]) row;
      String model = (String) r[0];
      String version = (String) r[1];
      Series s =
          byVersion.computeIfAbsent(
              model + "\u0000" + version,
              k ->
                  new Series(
                      model,
                      version,
                      new ArrayList<>(),
                      new ArrayList<>(),
                      new ArrayList<>(),
                      new ArrayList<>()));
      long requests = ((Number) r[3]).longValue();
      long errors = ((Number) r[4]).longValue();
      s.at().add(instant(r[2]).getEpochSecond());
      s.p50Ms().add(((Number) r[5]).doubleValue());
      s.p95Ms().add(((Number) r[6]).doubleValue());
      s.errorPercent().add(requests == 0 ? 0.0 : 100.0 * errors / requests);
    }
    // a version that served no request has nothing to plot
    return byVersion.values().stream()
        .filter(s -> s.p95Ms().stream().anyMatch(v -> v > 0))
        .toList();
  }

  private static Instant instant(Object value) {
    if (value instanceof Instant i) {
      return i;
    }
    if (value instanceof OffsetDateTime o) {
      return o.toInstant();
    }
    return ((Timestamp) value).toInstant();
  }
}
