package dev.modelfleet.server.signing;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * {@code modelfleet_root_metadata_expiry_timestamp_seconds}: when the current root metadata
 * expires. A server renews it at half its lifetime while the root key is online; with the root key
 * offline an operator must sign the next version in time (docs/security.md), which this warns of.
 */
@Startup
@ApplicationScoped
class RootExpiryGauge {

  RootExpiryGauge(RootMetadataChain roots, MeterRegistry registry) {
    Gauge.builder(
            "modelfleet.root.metadata.expiry.timestamp.seconds",
            roots,
            chain -> chain.currentMetadata().getExpiresAtMs() / 1000.0)
        .description("When the current root metadata expires (Unix time)")
        .register(registry);
  }
}
