package dev.modelfleet.agent.hardware;

import dev.modelfleet.agent.config.ConfigException;
import dev.modelfleet.agent.state.JsonObject;
import dev.modelfleet.protocol.agent.v1.Accelerator;
import dev.modelfleet.protocol.agent.v1.BenchmarkResult;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A device profile from configuration ({@code simulate-profile=FILE}), so that a fleet of simulated
 * NPU and GPU devices can run on a CPU-only machine. Each field that is present replaces what the
 * probe found; everything the agent reports is then marked simulated. The format is documented in
 * docs/agent.md.
 */
public record SimulatedProfile(
    String arch,
    String cpuModel,
    List<String> cpuFlags,
    Integer cores,
    Long memoryTotalBytes,
    List<String> executionProviders,
    List<SimulatedAccelerator> accelerators,
    List<SimulatedResult> benchmark,
    Long diskFreeBytes) {

  public record SimulatedAccelerator(String kind, String vendor, String name) {}

  /** Figures for one provider/precision/kernel, reported instead of running its graph. */
  public record SimulatedResult(
      String executionProvider,
      String precision,
      String kernel,
      Integer runs,
      Double p50Ms,
      Double p95Ms,
      Double gmacs,
      String error) {}

  public static SimulatedProfile read(Path file) throws ConfigException {
    try {
      return fromJson(JsonObject.read(file));
    } catch (IOException e) {
      throw new ConfigException(
          "simulate-profile "
              + file
              + " is not a valid profile: "
              + e.getMessage().lines().findFirst().orElse(""));
    }
  }

  // Every field is optional; one this record does not have is refused (a misspelt field must
  // not leave the probed value in place unnoticed).
  private static SimulatedProfile fromJson(JsonObject json) throws IOException {
    json.onlyFields(
        List.of(
            "arch",
            "cpuModel",
            "cpuFlags",
            "cores",
            "memoryTotalBytes",
            "executionProviders",
            "accelerators",
            "benchmark",
            "diskFreeBytes"));
    List<SimulatedAccelerator> accelerators = null;
    if (json.objects("accelerators") != null) {
      accelerators = new ArrayList<>();
      for (JsonObject a : json.objects("accelerators")) {
        a.onlyFields(List.of("kind", "vendor", "name"));
        accelerators.add(
            new SimulatedAccelerator(a.string("kind"), a.string("vendor"), a.string("name")));
      }
    }
    List<SimulatedResult> benchmark = null;
    if (json.objects("benchmark") != null) {
      benchmark = new ArrayList<>();
      for (JsonObject r : json.objects("benchmark")) {
        r.onlyFields(
            List.of(
                "executionProvider",
                "precision",
                "kernel",
                "runs",
                "p50Ms",
                "p95Ms",
                "gmacs",
                "error"));
        benchmark.add(
            new SimulatedResult(
                r.string("executionProvider"),
                r.string("precision"),
                r.string("kernel"),
                r.intValue("runs"),
                r.doubleValue("p50Ms"),
                r.doubleValue("p95Ms"),
                r.doubleValue("gmacs"),
                r.string("error")));
      }
    }
    return new SimulatedProfile(
        json.string("arch"),
        json.string("cpuModel"),
        json.strings("cpuFlags"),
        json.intValue("cores"),
        json.longValue("memoryTotalBytes"),
        json.strings("executionProviders"),
        accelerators,
        benchmark,
        json.longValue("diskFreeBytes"));
  }

  /** The detected profile with this file's values put over it, marked simulated. */
  public HardwareProfile applyTo(HardwareProfile detected) {
    HardwareProfile.Builder profile = detected.toBuilder().setSimulated(true);
    if (arch != null) {
      profile.setArch(DeviceFacts.normalizedArch(arch));
    }
    if (cpuModel != null) {
      profile.setCpuModel(cpuModel);
    }
    if (cpuFlags != null) {
      profile.clearCpuFlags().addAllCpuFlags(CpuFlags.forInference(new HashSet<>(cpuFlags)));
    }
    if (cores != null) {
      profile.setCpuCores(cores);
    }
    if (diskFreeBytes != null) {
      profile.setDiskFreeBytes(diskFreeBytes);
    }
    if (memoryTotalBytes != null) {
      profile.setMemoryTotalBytes(memoryTotalBytes);
      profile.setMemoryAvailableBytes(
          Math.min(detected.getMemoryAvailableBytes(), memoryTotalBytes));
    }
    if (executionProviders != null) {
      profile.clearExecutionProviders().addAllExecutionProviders(executionProviders);
    }
    if (accelerators != null) {
      profile.clearAccelerators();
      for (SimulatedAccelerator a : accelerators) {
        profile.addAccelerators(
            Accelerator.newBuilder()
                .setKind(nonNull(a.kind()))
                .setVendor(nonNull(a.vendor()))
                .setName(nonNull(a.name()))
                .setSource("simulated"));
      }
    }
    return profile.build();
  }

  public DeviceFacts applyTo(DeviceFacts detected) {
    return new DeviceFacts(
        arch != null ? DeviceFacts.normalizedArch(arch) : detected.arch(),
        cpuFlags != null ? CpuFlags.withAliases(new HashSet<>(cpuFlags)) : detected.cpuFlags(),
        memoryTotalBytes != null ? memoryTotalBytes : detected.memoryTotalBytes());
  }

  /** Providers for which this file gives figures (they are reported instead of measured). */
  public Set<String> benchmarkedProviders() {
    Set<String> providers = new HashSet<>();
    if (benchmark != null) {
      benchmark.forEach(r -> providers.add(r.executionProvider()));
    }
    return providers;
  }

  public List<BenchmarkResult> resultsFor(String provider) {
    if (benchmark == null) {
      return List.of();
    }
    return benchmark.stream()
        .filter(r -> provider.equals(r.executionProvider()))
        .map(
            r ->
                BenchmarkResult.newBuilder()
                    .setExecutionProvider(provider)
                    .setPrecision(nonNull(r.precision()))
                    .setKernel(nonNull(r.kernel()))
                    .setRuns(r.runs() != null ? r.runs() : r.error() == null ? 100 : 0)
                    .setP50Ms(orZero(r.p50Ms()))
                    .setP95Ms(r.p95Ms() != null ? r.p95Ms() : orZero(r.p50Ms()))
                    .setMinMs(orZero(r.p50Ms()))
                    .setMaxMs(r.p95Ms() != null ? r.p95Ms() : orZero(r.p50Ms()))
                    .setGmacs(orZero(r.gmacs()))
                    .setError(nonNull(r.error()))
                    .build())
        .toList();
  }

  private static String nonNull(String value) {
    return value == null ? "" : value;
  }

  private static double orZero(Double value) {
    return value == null ? 0 : value;
  }
}
