package dev.modelfleet.agent.hardware;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.modelfleet.agent.runtime.OrtModelLoader;
import dev.modelfleet.agent.v1.Accelerator;
import dev.modelfleet.agent.v1.HardwareProfile;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Measures what this device is, from the JVM, /proc and ONNX Runtime. Anything it cannot
 * find out stays empty: the server groups devices by these values, so a guess would put a
 * device in the wrong hardware class.
 */
public final class HardwareProbe {

  private final Path procDir;
  private final Path devDir;

  public HardwareProbe() {
    this(Path.of("/proc"), Path.of("/dev"));
  }

  HardwareProbe(Path procDir, Path devDir) {
    this.procDir = procDir;
    this.devDir = devDir;
  }

  public HardwareProfile probe(Path stateDir, String agentVersion) {
    HardwareProfile.Builder profile =
        HardwareProfile.newBuilder()
            .setOs(System.getProperty("os.name", ""))
            .setOsVersion(System.getProperty("os.version", ""))
            .setArch(normalizedArch(System.getProperty("os.arch", "")))
            .setCpuCores(Runtime.getRuntime().availableProcessors())
            .setAgentVersion(agentVersion)
            .setHostname(hostname());
    cpuInfo(profile);
    memInfo(profile);
    try {
      profile.setDiskFreeBytes(Files.getFileStore(stateDir).getUsableSpace());
    } catch (IOException e) {
      // Unknown stays 0.
    }
    onnxRuntime(profile);
    accelerators(profile);
    return profile.build();
  }

  static String normalizedArch(String arch) {
    return switch (arch) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> arch;
    };
  }

  private void cpuInfo(HardwareProfile.Builder profile) {
    List<String> lines = readLines(procDir.resolve("cpuinfo"));
    Set<String> flags = new TreeSet<>();
    String model = "";
    for (String line : lines) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String key = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      // x86 says "model name" and "flags"; ARM says "Features" and sometimes "Model"/"Hardware".
      if (model.isEmpty()
          && (key.equals("model name") || key.equals("Model") || key.equals("Hardware")
              || key.equals("cpu model"))) {
        model = value;
      } else if (flags.isEmpty() && (key.equals("flags") || key.equals("Features"))) {
        flags.addAll(Arrays.asList(value.split("\\s+")));
      }
    }
    flags.remove("");
    profile.setCpuModel(model).addAllCpuFlags(flags);
  }

  private void memInfo(HardwareProfile.Builder profile) {
    for (String line : readLines(procDir.resolve("meminfo"))) {
      String[] parts = line.split("\\s+");
      if (parts.length < 2) {
        continue;
      }
      try {
        long kib = Long.parseLong(parts[1]);
        if (parts[0].equals("MemTotal:")) {
          profile.setMemoryTotalBytes(kib * 1024);
        } else if (parts[0].equals("MemAvailable:")) {
          profile.setMemoryAvailableBytes(kib * 1024);
        }
      } catch (NumberFormatException e) {
        // Not a number: leave it unknown.
      }
    }
  }

  private static void onnxRuntime(HardwareProfile.Builder profile) {
    try {
      profile.setOnnxruntimeVersion(OrtModelLoader.environment().getVersion());
      Set<String> providers = new LinkedHashSet<>();
      for (OrtProvider provider : OrtEnvironment.getAvailableProviders()) {
        providers.add(providerName(provider));
      }
      profile.addAllExecutionProviders(providers);
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      // ONNX Runtime did not load; the profile says so by leaving these empty.
    }
  }

  /** CPU → "cpu", CUDA → "cuda", CORE_ML → "coreml": the names manifests use. */
  static String providerName(OrtProvider provider) {
    return provider.name().toLowerCase(Locale.ROOT).replace("_", "");
  }

  private void accelerators(HardwareProfile.Builder profile) {
    List<Accelerator> found = new ArrayList<>();
    if (Files.exists(devDir.resolve("nvidia0"))) {
      found.add(Accelerator.newBuilder().setKind("gpu").setVendor("nvidia")
          .setSource(devDir.resolve("nvidia0").toString()).build());
    }
    if (Files.exists(devDir.resolve("accel/accel0"))) {
      found.add(Accelerator.newBuilder().setKind("npu")
          .setSource(devDir.resolve("accel/accel0").toString()).build());
    }
    profile.addAllAccelerators(found);
  }

  private static String hostname() {
    try {
      String fromFile = Files.readString(Path.of("/etc/hostname")).trim();
      if (!fromFile.isEmpty()) {
        return fromFile;
      }
    } catch (IOException | RuntimeException e) {
      // Fall through to the resolver.
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "";
    }
  }

  private static List<String> readLines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
