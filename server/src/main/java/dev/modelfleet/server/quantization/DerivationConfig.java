package dev.modelfleet.server.quantization;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/**
 * {@code modelfleet.derivation.*} (MODELFLEET_DERIVATION_ENABLED, ..._STALE_AFTER,
 * ..._MAX_SAMPLE_FILE_SIZE, ..._REJECTED_RETENTION).
 */
@ConfigMapping(prefix = "modelfleet.derivation")
public interface DerivationConfig {

  /** false: this replica accepts derivation requests but runs no jobs and applies no policies. */
  @WithDefault("true")
  boolean enabled();

  /** A running job whose heartbeat is older than this is taken over by another replica. */
  @WithDefault("60s")
  Duration staleAfter();

  /**
   * The largest sample file (.npy, .npz) an upload may send; the body streams to disk and is
   * refused with samples-too-large past this.
   */
  @WithDefault("512M")
  MemorySize maxSampleFileSize();

  /**
   * How long a rejected variant's file stays downloadable from its job, for an operator to inspect;
   * then the artifact garbage collection removes it. 0: rejected files are not kept.
   */
  @WithDefault("7d")
  Duration rejectedRetention();
}
