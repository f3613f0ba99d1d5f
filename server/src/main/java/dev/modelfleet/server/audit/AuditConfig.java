package dev.modelfleet.server.audit;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * How unauthenticated calls reach the audit log (MODELFLEET_AUDIT_REFUSAL_WINDOW,
 * MODELFLEET_AUDIT_REFUSAL_ADDRESSES): counted per source address and written once per window.
 */
@ConfigMapping(prefix = "modelfleet.audit")
public interface AuditConfig {

  /** How long unauthenticated calls are counted before their entries are written. */
  @WithDefault("1m")
  Duration refusalWindow();

  /** How many source addresses get an entry of their own per window; the rest share one. */
  @WithDefault("20")
  int refusalAddresses();
}
