package dev.modelfleet.server.delta;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What a maker of derived artifacts did with what it made, as metrics: {@code
 * modelfleet.<kind>.kept}, {@code .dropped} (saved too little) and {@code .failures} (could not be
 * made; the variant is served whole).
 */
record MadeCounters(Counter kept, Counter dropped, Counter failures) {

  /**
   * {@code made}: what one is, made ("Model deltas made"); {@code failed}: what could not be made
   * ("Model deltas that could not be made").
   */
  static MadeCounters register(MeterRegistry registry, String kind, String made, String failed) {
    return new MadeCounters(
        Counter.builder("modelfleet." + kind + ".kept")
            .description(made + " and kept (they saved enough)")
            .register(registry),
        Counter.builder("modelfleet." + kind + ".dropped")
            .description(made + " and thrown away (they saved too little)")
            .register(registry),
        Counter.builder("modelfleet." + kind + ".failures")
            .description(failed + " (the variant is served whole)")
            .register(registry));
  }

  void outcome(boolean keep) {
    (keep ? kept : dropped).increment();
  }
}
