package dev.modelfleet.protocol;

import dev.modelfleet.protocol.agent.v1.Accelerator;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How a hardware profile names its hardware class, shared by both sides: the server groups devices
 * by it, and an agent importing a class bundle takes the state for the class it computes here from
 * the profile it reports. One copy, so that the two cannot drift apart and strand a site.
 *
 * <p>The parts are what makes two devices run a model alike: arch, CPU model, cores, the
 * inference-relevant CPU flags, execution providers, accelerators, ONNX Runtime version and whether
 * the profile was simulated. Memory available and disk free change by the minute and are left out.
 */
public final class HardwareClassId {

  private static final Map<String, String> FLAG_ALIASES =
      Map.of(
          "asimd", "neon",
          "asimddp", "dotprod",
          "asimdhp", "fp16",
          "fphp", "fp16",
          "avx512vnni", "avx512_vnni",
          "avxvnni", "avx_vnni");

  /**
   * The flags that change which kernels ONNX Runtime can use. Others (power management,
   * virtualization) differ between identical machines and would split a class for nothing.
   */
  private static final Set<String> INFERENCE_RELEVANT =
      Set.of(
          "sse4_1",
          "sse4_2",
          "avx",
          "avx2",
          "fma",
          "f16c",
          "avx512f",
          "avx512bw",
          "avx512vl",
          "avx512dq",
          "avx512_vnni",
          "avx512_bf16",
          "avx512_fp16",
          "avx_vnni",
          "amx_tile",
          "amx_int8",
          "amx_bf16",
          "neon",
          "fp16",
          "dotprod",
          "i8mm",
          "bf16",
          "sve",
          "sve2",
          "sme");

  private HardwareClassId() {}

  /** The class id of the device that reports {@code profile}. */
  public static String of(HardwareProfile profile) {
    List<String> accelerators = new ArrayList<>();
    for (Accelerator a : profile.getAcceleratorsList()) {
      accelerators.add(accelerator(a.getKind(), a.getVendor(), a.getName()));
    }
    return id(
        parts(
            profile.getArch(),
            profile.getCpuModel(),
            profile.getCpuCores(),
            profile.getCpuFlagsList(),
            profile.getExecutionProvidersList(),
            accelerators,
            profile.getOnnxruntimeVersion(),
            profile.getSimulated()));
  }

  /** The fingerprinted parts, normalized, in their fixed order. */
  public static Map<String, Object> parts(
      String arch,
      String cpuModel,
      int cpuCores,
      Collection<String> cpuFlags,
      Collection<String> executionProviders,
      Collection<String> accelerators,
      String onnxruntimeVersion,
      boolean simulated) {
    Map<String, Object> parts = new LinkedHashMap<>();
    parts.put("arch", arch(arch));
    parts.put("cpuModel", nullToEmpty(cpuModel).trim());
    parts.put("cpuCores", cpuCores);
    parts.put("cpuFlags", List.copyOf(inferenceRelevantFlags(cpuFlags)));
    TreeSet<String> providers = new TreeSet<>();
    if (executionProviders != null) {
      executionProviders.forEach(v -> providers.add(v.trim().toLowerCase(Locale.ROOT)));
    }
    parts.put("executionProviders", List.copyOf(providers));
    parts.put(
        "accelerators",
        List.copyOf(new TreeSet<>(accelerators == null ? List.of() : accelerators)));
    parts.put("onnxruntimeVersion", nullToEmpty(onnxruntimeVersion));
    parts.put("simulated", simulated);
    return parts;
  }

  /**
   * The id of {@link #parts}: the first 16 hex characters of the sha256 of their canonical text.
   */
  public static String id(Map<String, Object> parts) {
    // a fixed order and separators that names cannot contain keep the hash input unambiguous
    StringBuilder canonical = new StringBuilder();
    parts.forEach((key, value) -> canonical.append(key).append('=').append(value).append('\n'));
    return Dsse.sha256Hex(canonical.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  /** An accelerator as the fingerprint names it: kind, vendor and name, single-spaced. */
  public static String accelerator(String kind, String vendor, String name) {
    return String.join(" ", nullToEmpty(kind), nullToEmpty(vendor), nullToEmpty(name))
        .trim()
        .replaceAll("\\s+", " ");
  }

  /** CPU architecture names as agents report them ("x86_64", "aarch64"), whatever the source. */
  public static String arch(String arch) {
    if (arch == null) {
      return "";
    }
    String lower = arch.trim().toLowerCase(Locale.ROOT);
    return switch (lower) {
      case "amd64", "x86-64", "x64" -> "x86_64";
      case "arm64" -> "aarch64";
      default -> lower;
    };
  }

  /**
   * A CPU flag under one spelling: Linux names the same ARM feature differently from the Arm
   * documentation ("asimddp" is dotprod).
   */
  public static String flag(String flag) {
    String lower = flag.trim().toLowerCase(Locale.ROOT);
    return FLAG_ALIASES.getOrDefault(lower, lower);
  }

  /** Every flag normalized, sorted, blanks dropped. */
  public static Set<String> flags(Collection<String> flags) {
    Set<String> normalized = new TreeSet<>();
    if (flags != null) {
      flags.forEach(f -> normalized.add(flag(f)));
    }
    normalized.remove("");
    return normalized;
  }

  /** The normalized inference-relevant subset, sorted. */
  public static Set<String> inferenceRelevantFlags(Collection<String> flags) {
    Set<String> relevant = flags(flags);
    relevant.retainAll(INFERENCE_RELEVANT);
    return relevant;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
