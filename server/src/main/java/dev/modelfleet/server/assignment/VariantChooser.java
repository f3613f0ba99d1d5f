package dev.modelfleet.server.assignment;

import dev.modelfleet.server.device.HardwareInfo;
import dev.modelfleet.server.model.Variant;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Picks the variant a device should run: one whose execution provider the device reports,
 * preferring cpu/fp32 (runs everywhere, numerically the reference). A hardware matcher using
 * benchmarks will replace this rule.
 */
@ApplicationScoped
public class VariantChooser {

  public Optional<Variant> choose(HardwareInfo hardware, List<Variant> variants) {
    Set<String> providers =
        hardware == null ? Set.of() : Set.copyOf(hardware.executionProviders());
    return variants.stream()
        .filter(v -> providers.contains(v.executionProvider))
        .min(Comparator.comparing((Variant v) -> !isCpuFp32(v)).thenComparing(v -> v.createdAt));
  }

  private static boolean isCpuFp32(Variant v) {
    return "cpu".equals(v.executionProvider) && "fp32".equals(v.precision);
  }
}
