package dev.modelfleet.server.bundle;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Offline bundles; see docs/operations.md, "Offline bundles". */
@ConfigMapping(prefix = "modelfleet.bundle")
public interface BundleConfig {

  /** How long a bundle's desired states stay valid when the request names no expiry. */
  @WithDefault("30d")
  Duration defaultExpiry();

  /**
   * The longest expiry a bundle may ask for: a desired state that never expires would defeat the
   * freeze protection on a device that never comes back online.
   */
  @WithDefault("180d")
  Duration maxExpiry();

  /** The most devices one bundle may carry a desired state for. */
  @WithDefault("1000")
  int maxDevices();
}
