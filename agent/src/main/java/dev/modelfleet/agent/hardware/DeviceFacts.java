package dev.modelfleet.agent.hardware;

import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * What a variant's needs are checked against: the device's architecture, every CPU flag (with the
 * aliases of {@link CpuFlags}) and its total memory; detected, or from a simulated profile.
 */
public record DeviceFacts(String arch, Set<String> cpuFlags, long memoryTotalBytes) {

  public static String normalizedArch(String arch) {
    String lower = arch == null ? "" : arch.trim().toLowerCase(Locale.ROOT);
    return switch (lower) {
      case "amd64", "x86_64", "x64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> lower;
    };
  }

  /**
   * Why this device cannot run the variant, or empty when it can. Unknown device values (empty
   * arch, no memory figure) do not count against a variant: a probe that could not read them must
   * not refuse every model.
   */
  public Optional<String> mismatch(VariantManifest manifest) {
    List<String> reasons = new ArrayList<>();
    String wantedArch = normalizedArch(manifest.getArch());
    if (!wantedArch.isEmpty() && !arch.isEmpty() && !wantedArch.equals(arch)) {
      reasons.add("it is built for " + wantedArch + ", this device is " + arch);
    }
    List<String> missing =
        manifest.getRequiredCpuFlagsList().stream()
            .map(flag -> flag.trim().toLowerCase(Locale.ROOT))
            .filter(flag -> !flag.isEmpty() && !cpuFlags.contains(flag))
            .toList();
    if (!missing.isEmpty()) {
      reasons.add("it needs CPU flag(s) " + String.join(", ", missing) + " this CPU lacks");
    }
    if (manifest.getMinMemoryBytes() > 0
        && memoryTotalBytes > 0
        && manifest.getMinMemoryBytes() > memoryTotalBytes) {
      reasons.add(
          "it needs "
              + manifest.getMinMemoryBytes()
              + " bytes of memory, this device"
              + " has "
              + memoryTotalBytes);
    }
    return reasons.isEmpty()
        ? Optional.empty()
        : Optional.of(
            "variant "
                + manifest.getVariantId()
                + " does not fit this device: "
                + String.join("; ", reasons));
  }
}
