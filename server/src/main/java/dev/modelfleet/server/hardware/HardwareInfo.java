package dev.modelfleet.server.hardware;

import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.util.List;

/** A device's hardware profile as its agent last reported it. */
public record HardwareInfo(
    String os,
    String osVersion,
    String arch,
    String cpuModel,
    int cpuCores,
    List<String> cpuFlags,
    long memoryTotalBytes,
    long memoryAvailableBytes,
    long diskFreeBytes,
    List<String> executionProviders,
    String onnxruntimeVersion,
    String agentVersion,
    String hostname,
    List<Accelerator> accelerators,
    boolean simulated) {

  public record Accelerator(String kind, String vendor, String name, String source) {}

  public static HardwareInfo from(HardwareProfile p) {
    return new HardwareInfo(
        p.getOs(),
        p.getOsVersion(),
        p.getArch(),
        p.getCpuModel(),
        p.getCpuCores(),
        List.copyOf(p.getCpuFlagsList()),
        p.getMemoryTotalBytes(),
        p.getMemoryAvailableBytes(),
        p.getDiskFreeBytes(),
        List.copyOf(p.getExecutionProvidersList()),
        p.getOnnxruntimeVersion(),
        p.getAgentVersion(),
        p.getHostname(),
        p.getAcceleratorsList().stream()
            .map(a -> new Accelerator(a.getKind(), a.getVendor(), a.getName(), a.getSource()))
            .toList(),
        p.getSimulated());
  }
}
