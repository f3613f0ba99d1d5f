package dev.modelfleet.server.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The overview warns of what expires within the alert rules' windows, and of nothing else. */
class ExpiryWarningsTest {

  private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ExpiryWarnings warnings =
      new ExpiryWarnings(registry, Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void warnsOfEachDateInsideItsWindowWithWhatToDo() {
    expires("modelfleet.root.metadata.expiry.timestamp.seconds", Duration.ofDays(20));
    expires("modelfleet.manifest.earliest.expiry.timestamp.seconds", Duration.ofDays(-1));
    expires("modelfleet.fleet.ca.expiry.timestamp.seconds", Duration.ofDays(59));

    List<String> shown = warnings.warnings();

    assertEquals(3, shown.size(), shown.toString());
    assertTrue(
        shown
            .get(0)
            .startsWith("The fleet's root metadata expires in 20 day(s) (2026-12-26 UTC): sign"),
        shown.get(0));
    assertTrue(
        shown.get(1).startsWith("A variant manifest expired (2026-12-05 UTC)"), shown.get(1));
    assertTrue(
        shown.get(2).startsWith("The fleet CA certificate expires in 59 day(s)"), shown.get(2));
  }

  @Test
  void saysNothingOfDatesOutsideTheirWindowsOrOfWhatIsNotThere() {
    expires("modelfleet.root.metadata.expiry.timestamp.seconds", Duration.ofDays(31));
    expires("modelfleet.fleet.ca.expiry.timestamp.seconds", Duration.ofDays(365));
    // no manifest signed yet: the gauge reads 0
    Gauge.builder("modelfleet.manifest.earliest.expiry.timestamp.seconds", () -> 0)
        .register(registry);

    assertEquals(List.of(), warnings.warnings());
  }

  private void expires(String gauge, Duration fromNow) {
    double seconds = NOW.plus(fromNow).getEpochSecond();
    Gauge.builder(gauge, () -> seconds).register(registry);
  }
}
