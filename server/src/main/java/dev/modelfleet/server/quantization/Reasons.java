package dev.modelfleet.server.quantization;

import dev.modelfleet.server.common.FailureReasons;

/** Derivation failure reasons: whole, bounded as {@link FailureReasons} bounds them. */
final class Reasons {

  static final int LIMIT = FailureReasons.LIMIT;

  private Reasons() {}

  static String of(Throwable e) {
    return FailureReasons.of(e);
  }

  static String bounded(String text, int limit) {
    return FailureReasons.bounded(text, limit);
  }
}
