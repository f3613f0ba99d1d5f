package dev.modelfleet.agent.hardware;

import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU flags that decide which kernels ONNX Runtime can use (SIMD width, int8 dot products,
 * bf16/fp16, matrix units), as the kernel names them in /proc/cpuinfo, plus the names manifests
 * tend to use for the ARM ones: "neon" for asimd, "dotprod" for asimddp, and "amx" for any AMX
 * unit.
 */
public final class CpuFlags {

  static final Set<String> FOR_INFERENCE =
      Set.of(
          // x86
          "avx",
          "avx2",
          "fma",
          "f16c",
          "avx512f",
          "avx512bw",
          "avx512vl",
          "avx512_vnni",
          "avx512_bf16",
          "avx512_fp16",
          "avx_vnni",
          "amx_tile",
          "amx_int8",
          "amx_bf16",
          // ARM
          "neon",
          "asimd",
          "asimddp",
          "asimdhp",
          "i8mm",
          "sve",
          "sve2",
          "bf16");

  private CpuFlags() {}

  /** Every flag of the line plus the aliases above; used to check a variant's needs. */
  public static Set<String> withAliases(Set<String> cpuinfoFlags) {
    Set<String> all = new TreeSet<>(cpuinfoFlags);
    if (all.contains("asimd")) {
      all.add("neon");
    }
    if (all.contains("asimddp")) {
      all.add("dotprod");
    }
    if (all.contains("amx_tile") || all.contains("amx_int8") || all.contains("amx_bf16")) {
      all.add("amx");
    }
    return all;
  }

  /** The inference-relevant subset (with aliases) that a hardware profile reports. */
  public static Set<String> forInference(Set<String> cpuinfoFlags) {
    Set<String> relevant = new TreeSet<>();
    for (String flag : withAliases(cpuinfoFlags)) {
      if (FOR_INFERENCE.contains(flag) || flag.equals("dotprod") || flag.equals("amx")) {
        relevant.add(flag);
      }
    }
    return relevant;
  }
}
