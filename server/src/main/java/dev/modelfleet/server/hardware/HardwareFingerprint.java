package dev.modelfleet.server.hardware;

import dev.modelfleet.protocol.HardwareClassId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What makes two devices run a model alike: arch, CPU model, cores, the inference-relevant CPU
 * flags, execution providers, accelerators, ONNX Runtime version and whether the profile was
 * simulated. Memory available and disk free change by the minute and are left out.
 */
public record HardwareFingerprint(
    String classId, String description, Map<String, Object> parts, boolean simulated) {

  public static HardwareFingerprint of(HardwareInfo hardware) {
    // the parts and their hash are shared with agents, which name their own class for bundles
    Map<String, Object> parts =
        HardwareClassId.parts(
            hardware.arch(),
            hardware.cpuModel(),
            hardware.cpuCores(),
            hardware.cpuFlags(),
            hardware.executionProviders(),
            accelerators(hardware),
            hardware.onnxruntimeVersion(),
            hardware.simulated());
    return new HardwareFingerprint(
        HardwareClassId.id(parts), describe(parts), parts, hardware.simulated());
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
    List<String> names = new ArrayList<>();
    if (hardware.accelerators() != null) {
      for (HardwareInfo.Accelerator a : hardware.accelerators()) {
        names.add(HardwareClassId.accelerator(a.kind(), a.vendor(), a.name()));
      }
    }
    return names;
  }

  private static String orUnknown(String s, String unknown) {
    return s.isEmpty() ? unknown : s;
  }
}
