package dev.modelfleet.server.artifact;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Garbage collection of unreferenced artifacts; see docs/operations.md, "Artifact garbage". */
@ConfigMapping(prefix = "modelfleet.artifact-gc")
public interface ArtifactGcConfig {

  /** Whether this replica collects on its own; an admin can still run it through the API. */
  @WithDefault("true")
  boolean enabled();

  /**
   * How old an unreferenced artifact or an unfinished upload must be before it goes: longer than
   * any upload takes from its first byte to its database row.
   */
  @WithDefault("24h")
  Duration grace();

  /** How often a replica tries to collect; one at a time across replicas. */
  @WithDefault("1h")
  Duration interval();
}
