package dev.modelfleet.e2e.sim;

import dev.modelfleet.protocol.agent.v1.Accelerator;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.util.List;

/**
 * Made-up but plausible hardware for simulated devices. The profiles rotate and cores and memory
 * vary with the device's index, so the server's variant matching sees a mixed fleet rather than
 * thousands of identical boxes. Every profile keeps "cpu" as a provider, as ONNX Runtime always has
 * it.
 */
final class HardwareProfiles {

  private static final long GIB = 1L << 30;

  private HardwareProfiles() {}

  static HardwareProfile forDevice(int index, List<String> profiles, String hostname) {
    String profile = profiles.get(index % profiles.size());
    // Alternating architectures for CPU-only devices: half look like ARM gateways.
    boolean arm = "npu".equals(profile) || ("cpu".equals(profile) && index % 2 == 1);
    int cores = 2 << (index % 4);
    long memory = (2L << (index % 5)) * GIB;
    HardwareProfile.Builder hardware =
        HardwareProfile.newBuilder()
            .setOs("Linux")
            .setOsVersion("6.1-simulated")
            .setArch(arm ? "aarch64" : "x86_64")
            .setCpuModel(arm ? "Simulated Cortex-A78" : "Simulated Xeon")
            .setCpuCores(cores)
            .addAllCpuFlags(arm ? List.of("neon", "dotprod") : List.of("sse4_2", "avx2"))
            .setMemoryTotalBytes(memory)
            .setMemoryAvailableBytes(memory / 2)
            .setDiskFreeBytes(64 * GIB)
            .setAgentVersion("simulated")
            .setHostname(hostname)
            .setSimulated(true);
    switch (profile) {
      case "cuda" ->
          hardware
              .addAllExecutionProviders(List.of("cuda", "cpu"))
              .addAccelerators(
                  Accelerator.newBuilder()
                      .setKind("gpu")
                      .setVendor("nvidia")
                      .setName("Simulated GPU")
                      .setSource("simulated"));
      case "npu" ->
          hardware
              .addAllExecutionProviders(List.of("npu", "cpu"))
              .addAccelerators(
                  Accelerator.newBuilder()
                      .setKind("npu")
                      .setName("Simulated NPU")
                      .setSource("simulated"));
      default -> hardware.addExecutionProviders("cpu");
    }
    return hardware.build();
  }
}
