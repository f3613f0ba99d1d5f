package dev.modelfleet.server.pki;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

/** {@code modelfleet_fleet_ca_expiry_timestamp_seconds}: when the fleet CA certificate expires. */
@Startup
@ApplicationScoped
class FleetCaExpiryGauge {

  FleetCaExpiryGauge(FleetCa ca, MeterRegistry registry) {
    Gauge.builder(
            "modelfleet.fleet.ca.expiry.timestamp.seconds",
            ca,
            c -> c.certificate().getNotAfter().getTime() / 1000.0)
        .description("When the fleet CA certificate that signs device certificates expires")
        .register(registry);
  }
}
