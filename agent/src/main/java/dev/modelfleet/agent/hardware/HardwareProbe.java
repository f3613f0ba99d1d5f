package dev.modelfleet.agent.hardware;

import dev.modelfleet.agent.runtime.ort.ExecutionProviders;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Measures what this device is, from the JVM, /proc, /dev, /sys and ONNX Runtime. Anything it
 * cannot find out stays empty: the server groups devices by these values, so a guess would put a
 * device in the wrong hardware class.
 */
public final class HardwareProbe {

  private final Path procDir;
  private final Path devDir;
  private final Path sysDir;

  public HardwareProbe() {
    this(Path.of("/proc"), Path.of("/dev"), Path.of("/sys"));
  }

  HardwareProbe(Path procDir, Path devDir, Path sysDir) {
    this.procDir = procDir;
    this.devDir = devDir;
    this.sysDir = sysDir;
  }

  public HardwareProfile probe(Path stateDir, String agentVersion) {
    Set<String> flags = cpuinfoFlags();
    HardwareProfile.Builder profile =
        HardwareProfile.newBuilder()
            .setOs(System.getProperty("os.name", ""))
            .setOsVersion(System.getProperty("os.version", ""))
            .setArch(arch())
            .setCpuModel(cpuModel())
            .setCpuCores(Runtime.getRuntime().availableProcessors())
            .addAllCpuFlags(CpuFlags.forInference(flags))
            .setAgentVersion(agentVersion)
            .setHostname(hostname());
    memInfo(profile);
    try {
      profile.setDiskFreeBytes(Files.getFileStore(stateDir).getUsableSpace());
    } catch (IOException e) {
      // Unknown stays 0.
    }
    onnxRuntime(profile);
    profile.addAllAccelerators(new Accelerators(procDir, devDir, sysDir).find());
    return profile.build();
  }

  /** What a variant's needs are checked against: every CPU flag, not just the reported ones. */
  public DeviceFacts facts() {
    HardwareProfile.Builder memory = HardwareProfile.newBuilder();
    memInfo(memory);
    return new DeviceFacts(
        arch(), CpuFlags.withAliases(cpuinfoFlags()), memory.getMemoryTotalBytes());
  }

  static String arch() {
    return DeviceFacts.normalizedArch(System.getProperty("os.arch", ""));
  }

  private String cpuModel() {
    for (String[] entry : cpuinfo()) {
      // x86 says "model name"; ARM sometimes "Model" or "Hardware", often nothing.
      if (Set.of("model name", "Model", "Hardware", "cpu model").contains(entry[0])) {
        return entry[1];
      }
    }
    return "";
  }

  /** The flags of the first processor (x86 "flags", ARM "Features"). */
  private Set<String> cpuinfoFlags() {
    Set<String> flags = new TreeSet<>();
    for (String[] entry : cpuinfo()) {
      if (entry[0].equals("flags") || entry[0].equals("Features")) {
        flags.addAll(Arrays.asList(entry[1].split("\\s+")));
        break;
      }
    }
    flags.remove("");
    return flags;
  }

  private List<String[]> cpuinfo() {
    return readLines(procDir.resolve("cpuinfo")).stream()
        .filter(line -> line.indexOf(':') > 0)
        .map(
            line ->
                new String[] {
                  line.substring(0, line.indexOf(':')).trim(),
                  line.substring(line.indexOf(':') + 1).trim()
                })
        .toList();
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
      profile.addAllExecutionProviders(ExecutionProviders.detected().real());
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      // ONNX Runtime did not load; the profile says so by leaving these empty.
    }
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
