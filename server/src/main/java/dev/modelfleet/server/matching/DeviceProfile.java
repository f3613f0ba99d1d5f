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
    Map<String, Double> gmacsByFigure) {

  public static DeviceProfile of(Device device) {
    return of(device.id, device.hardwareClassId, device.hardware, device.benchmark);
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
        figures(benchmark));
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
