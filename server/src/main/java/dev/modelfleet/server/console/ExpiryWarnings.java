package dev.modelfleet.server.console;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The overview's warnings about what expires: root metadata, the earliest variant manifest and the
 * fleet CA. It reads the expiry gauges the server exports and warns within the windows of the alert
 * rules in deploy/observability, so the console and Prometheus agree on what is "soon"; the
 * features that own these dates need not know the console.
 */
@ApplicationScoped
class ExpiryWarnings {

  /** One expiry gauge, how early to warn, and what a person should do about it. */
  record Watched(String gauge, Duration within, String what, String action) {}

  static final List<Watched> WATCHED =
      List.of(
          new Watched(
              "modelfleet.root.metadata.expiry.timestamp.seconds",
              Duration.ofDays(30),
              "The fleet's root metadata",
              "sign its next version (docs/security.md, root metadata); devices refuse updates"
                  + " after it expires"),
          new Watched(
              "modelfleet.manifest.earliest.expiry.timestamp.seconds",
              Duration.ofDays(14),
              "A variant manifest",
              "the server renews manifests while the targets key is online: check its log for"
                  + " renewal failures"),
          new Watched(
              "modelfleet.fleet.ca.expiry.timestamp.seconds",
              Duration.ofDays(60),
              "The fleet CA certificate",
              "plan its rotation (docs/security.md); devices cannot renew certificates after"
                  + " it expires"));

  private static final DateTimeFormatter DAY =
      DateTimeFormatter.ofPattern("yyyy-MM-dd").withZone(ZoneOffset.UTC);

  private final MeterRegistry registry;
  private final Clock clock;

  ExpiryWarnings(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  List<String> warnings() {
    Instant now = clock.instant();
    List<String> warnings = new ArrayList<>();
    for (Watched watched : WATCHED) {
      Gauge gauge = registry.find(watched.gauge()).gauge();
      double seconds = gauge == null ? Double.NaN : gauge.value();
      if (!(seconds > 0)) {
        continue; // not exported here, or nothing of its kind yet (no manifest signed)
      }
      Instant expires = Instant.ofEpochMilli((long) (seconds * 1000));
      if (expires.isAfter(now.plus(watched.within()))) {
        continue;
      }
      String when =
          expires.isAfter(now)
              ? "expires in " + Duration.between(now, expires).toDays() + " day(s)"
              : "expired";
      warnings.add(
          watched.what()
              + " "
              + when
              + " ("
              + DAY.format(expires)
              + " UTC): "
              + watched.action()
              + ".");
    }
    return warnings;
  }
}
