package dev.modelfleet.server.hardware;

import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * CPU feature flags under one spelling. Linux names the same ARM feature differently from the Arm
 * documentation ("asimddp" is dotprod), so flags are normalized before they are compared with a
 * variant's needs or hashed into a hardware fingerprint.
 */
public final class CpuFlags {

  private static final Map<String, String> ALIASES =
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

  private CpuFlags() {}

  public static String normalize(String flag) {
    String lower = flag.trim().toLowerCase(Locale.ROOT);
    return ALIASES.getOrDefault(lower, lower);
  }

  public static Set<String> normalizeAll(Collection<String> flags) {
    Set<String> normalized = new TreeSet<>();
    if (flags != null) {
      flags.forEach(f -> normalized.add(normalize(f)));
    }
    normalized.remove("");
    return normalized;
  }

  /** The normalized inference-relevant subset, sorted. */
  public static Set<String> inferenceRelevant(Collection<String> flags) {
    Set<String> relevant = normalizeAll(flags);
    relevant.retainAll(INFERENCE_RELEVANT);
    return relevant;
  }
}
