package dev.modelfleet.server.matching;

import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.hardware.Arch;
import dev.modelfleet.server.hardware.CpuFlags;
import dev.modelfleet.server.hardware.HardwareInfo;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * A device as the matcher reads it, normalized once so that matching is plain set and map lookups.
 * {@code reported} is false for a device that never sent a hardware profile.
 */
public record DeviceProfile(
    UUID deviceId,
    String hardwareClassId,
    boolean reported,
    String arch,
    Set<String> cpuFlags,
    Set<String> executionProviders,
    long memoryBytes,
    Map<String, Double> gmacsByFigure,
    long diskFreeBytes,
    Set<String> heldArtifacts,
    int agentConfigVersion) {

  /**
   * @param diskFreeBytes what the device reported free where it keeps models (0: not reported)
   * @param heldArtifacts sha256 of the artifacts it reported holding: those need no room
   * @param agentConfigVersion the config-version of its agent's configuration (0: not reported)
   */
  public DeviceProfile {
    heldArtifacts = heldArtifacts == null ? Set.of() : Set.copyOf(heldArtifacts);
  }

  public DeviceProfile(
      UUID deviceId,
      String hardwareClassId,
      boolean reported,
      String arch,
      Set<String> cpuFlags,
      Set<String> executionProviders,
      long memoryBytes,
      Map<String, Double> gmacsByFigure,
      long diskFreeBytes,
      Set<String> heldArtifacts) {
    this(
        deviceId,
        hardwareClassId,
        reported,
        arch,
        cpuFlags,
        executionProviders,
        memoryBytes,
        gmacsByFigure,
        diskFreeBytes,
        heldArtifacts,
        0);
  }

  public DeviceProfile(
      UUID deviceId,
      String hardwareClassId,
      boolean reported,
      String arch,
      Set<String> cpuFlags,
      Set<String> executionProviders,
      long memoryBytes,
      Map<String, Double> gmacsByFigure) {
    this(
        deviceId,
        hardwareClassId,
        reported,
        arch,
        cpuFlags,
        executionProviders,
        memoryBytes,
        gmacsByFigure,
        0,
        Set.of());
  }

  public static DeviceProfile of(Device device) {
    DeviceProfile p = of(device.id, device.hardwareClassId, device.hardware, device.benchmark);
    Set<String> held = new TreeSet<>();
    if (device.installed != null) {
      device.installed.stream().filter(m -> m.sha256() != null).forEach(m -> held.add(m.sha256()));
    }
    return new DeviceProfile(
        p.deviceId,
        p.hardwareClassId,
        p.reported,
        p.arch,
        p.cpuFlags,
        p.executionProviders,
        p.memoryBytes,
        p.gmacsByFigure,
        p.diskFreeBytes,
        held,
        device.agentConfigVersion);
  }

  public static DeviceProfile of(
      UUID id, String classId, HardwareInfo hardware, BenchmarkInfo benchmark) {
    if (hardware == null) {
      return new DeviceProfile(id, classId, false, "", Set.of(), Set.of(), 0, Map.of());
    }
    Set<String> providers = new TreeSet<>();
    if (hardware.executionProviders() != null) {
      hardware.executionProviders().forEach(p -> providers.add(p.toLowerCase(Locale.ROOT)));
    }
    return new DeviceProfile(
        id,
        classId,
        true,
        Arch.normalize(hardware.arch()),
        CpuFlags.normalizeAll(hardware.cpuFlags()),
        providers,
        hardware.memoryTotalBytes(),
        figures(benchmark),
        hardware.diskFreeBytes(),
        Set.of());
  }

  /** GMAC/s of the device's own benchmark for provider, precision and kernel; null if none. */
  public Double gmacs(String provider, String precision, String kernel) {
    return gmacsByFigure.get(key(provider, precision, kernel));
  }

  private static Map<String, Double> figures(BenchmarkInfo benchmark) {
    if (benchmark == null || benchmark.results() == null) {
      return Map.of();
    }
    Map<String, Double> figures = new HashMap<>();
    List<BenchmarkInfo.Figure> results = benchmark.results();
    for (BenchmarkInfo.Figure f : results) {
      if (f.measured()) {
        figures.put(key(f.executionProvider(), f.precision(), f.kernel()), f.gmacs());
      }
    }
    return figures;
  }

  static String key(String provider, String precision, String kernel) {
    return (provider + "/" + precision + "/" + kernel).toLowerCase(Locale.ROOT);
  }
}
