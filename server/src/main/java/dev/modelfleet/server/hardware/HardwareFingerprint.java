package dev.modelfleet.server.hardware;

import dev.modelfleet.protocol.Dsse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * What makes two devices run a model alike: arch, CPU model, cores, the inference-relevant CPU
 * flags, execution providers, accelerators, ONNX Runtime version and whether the profile was
 * simulated. Memory available and disk free change by the minute and are left out.
 */
public record HardwareFingerprint(
    String classId, String description, Map<String, Object> parts, boolean simulated) {

  public static HardwareFingerprint of(HardwareInfo hardware) {
    Map<String, Object> parts = new LinkedHashMap<>();
    parts.put("arch", Arch.normalize(hardware.arch()));
    parts.put("cpuModel", nullToEmpty(hardware.cpuModel()).trim());
    parts.put("cpuCores", hardware.cpuCores());
    parts.put("cpuFlags", List.copyOf(CpuFlags.inferenceRelevant(hardware.cpuFlags())));
    parts.put("executionProviders", sortedLower(hardware.executionProviders()));
    parts.put("accelerators", accelerators(hardware));
    parts.put("onnxruntimeVersion", nullToEmpty(hardware.onnxruntimeVersion()));
    parts.put("simulated", hardware.simulated());
    // a fixed order and separators that names cannot contain keep the hash input unambiguous
    StringBuilder canonical = new StringBuilder();
    parts.forEach((key, value) -> canonical.append(key).append('=').append(value).append('\n'));
    String hash = Dsse.sha256Hex(canonical.toString().getBytes(StandardCharsets.UTF_8));
    return new HardwareFingerprint(
        hash.substring(0, 16), describe(parts), parts, hardware.simulated());
  }

  @SuppressWarnings("unchecked")
  private static String describe(Map<String, Object> parts) {
    List<String> words = new ArrayList<>();
    words.add(orUnknown((String) parts.get("arch"), "unknown arch"));
    words.add(orUnknown((String) parts.get("cpuModel"), "unknown CPU"));
    words.add(parts.get("cpuCores") + " cores");
    List<String> flags = (List<String>) parts.get("cpuFlags");
    if (!flags.isEmpty()) {
      words.add(String.join(" ", flags));
    }
    words.add("providers " + String.join(",", (List<String>) parts.get("executionProviders")));
    List<String> accelerators = (List<String>) parts.get("accelerators");
    if (!accelerators.isEmpty()) {
      words.add(String.join(", ", accelerators));
    }
    words.add("ONNX Runtime " + orUnknown((String) parts.get("onnxruntimeVersion"), "?"));
    String description = String.join(" · ", words);
    return Boolean.TRUE.equals(parts.get("simulated")) ? description + " (simulated)" : description;
  }

  private static List<String> accelerators(HardwareInfo hardware) {
    TreeSet<String> names = new TreeSet<>();
    if (hardware.accelerators() != null) {
      for (HardwareInfo.Accelerator a : hardware.accelerators()) {
        names.add(
            String.join(" ", nullToEmpty(a.kind()), nullToEmpty(a.vendor()), nullToEmpty(a.name()))
                .trim()
                .replaceAll("\\s+", " "));
      }
    }
    return List.copyOf(names);
  }

  private static List<String> sortedLower(List<String> values) {
    TreeSet<String> sorted = new TreeSet<>();
    if (values != null) {
      values.forEach(v -> sorted.add(v.trim().toLowerCase(Locale.ROOT)));
    }
    return List.copyOf(sorted);
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  private static String orUnknown(String s, String unknown) {
    return s.isEmpty() ? unknown : s;
  }
}
