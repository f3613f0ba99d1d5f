package dev.modelfleet.server.delta;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Model deltas; see docs/operations.md, "Model deltas". */
@ConfigMapping(prefix = "modelfleet.delta")
public interface DeltaConfig {

  /** Whether this replica makes deltas when a variant is published. */
  @WithDefault("true")
  boolean enabled();

  /**
   * The least share of the target's size a delta must save to be kept (0.30: at most 70 % of the
   * target's bytes); a delta that saves less is recorded and thrown away.
   */
  @WithDefault("0.30")
  double minSaving();

  /** How many earlier versions' variants (the most recent first) a new variant gets deltas from. */
  @WithDefault("3")
  int bases();

  /** Whether this replica also weighs each published variant compressed whole (zstd). */
  @WithDefault("true")
  boolean compression();

  /**
   * The least share of the variant's size its compressed copy must save to be kept and offered
   * (0.05: at most 95 %). Below it the device's CPU time to decompress buys too little.
   */
  @WithDefault("0.05")
  double compressionMinSaving();
}
