package dev.modelfleet.server.support;

import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.BenchmarkResult;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.util.List;

/** Hardware profiles of the kinds of devices the matcher must tell apart. */
public final class Profiles {

  public static final long GIB = 1024L * 1024 * 1024;

  private Profiles() {}

  /**
   * A profile; {@code cpuModel} should be unique per test so that its hardware class holds only
   * that test's devices.
   */
  public static HardwareProfile.Builder profile(
      String cpuModel, String arch, List<String> flags, List<String> providers, long memoryBytes) {
    return HardwareProfile.newBuilder()
        .setOs("Linux")
        .setOsVersion("6.1")
        .setArch(arch)
        .setCpuModel(cpuModel)
        .setCpuCores(8)
        .addAllCpuFlags(flags)
        .addAllExecutionProviders(providers)
        .setMemoryTotalBytes(memoryBytes)
        .setMemoryAvailableBytes(memoryBytes / 2)
        .setDiskFreeBytes(10 * GIB)
        .setOnnxruntimeVersion("1.23.2")
        .setAgentVersion("0.1.0")
        .setHostname("host-" + cpuModel);
  }

  /** A benchmark report from "provider/precision=gmacs" figures, matmul kernel. */
  public static BenchmarkReport benchmark(String... figures) {
    BenchmarkReport.Builder report =
        BenchmarkReport.newBuilder()
            .setTrigger("enrollment")
            .setStartedAtMs(System.currentTimeMillis())
            .setDurationMs(800)
            .setOnnxruntimeVersion("1.23.2");
    for (String figure : figures) {
      String[] parts = figure.split("[/=]");
      double gmacs = Double.parseDouble(parts[2]);
      report.addResults(
          BenchmarkResult.newBuilder()
              .setExecutionProvider(parts[0])
              .setPrecision(parts[1])
              .setKernel("matmul")
              .setRuns(20)
              .setP50Ms(100 / gmacs)
              .setP95Ms(120 / gmacs)
              .setMinMs(90 / gmacs)
              .setMaxMs(150 / gmacs)
              .setGmacs(gmacs));
    }
    return report.build();
  }
}
