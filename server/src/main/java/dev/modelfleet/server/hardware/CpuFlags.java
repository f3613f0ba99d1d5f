package dev.modelfleet.server.hardware;

import dev.modelfleet.protocol.HardwareClassId;
import java.util.Collection;
import java.util.Set;

/**
 * CPU feature flags under one spelling, compared with a variant's needs or hashed into a hardware
 * fingerprint. The rules live in {@link HardwareClassId}, which agents share to name their class.
 */
public final class CpuFlags {

  private CpuFlags() {}

  public static String normalize(String flag) {
    return HardwareClassId.flag(flag);
  }

  public static Set<String> normalizeAll(Collection<String> flags) {
    return HardwareClassId.flags(flags);
  }

  /** The normalized inference-relevant subset, sorted. */
  public static Set<String> inferenceRelevant(Collection<String> flags) {
    return HardwareClassId.inferenceRelevantFlags(flags);
  }
}
