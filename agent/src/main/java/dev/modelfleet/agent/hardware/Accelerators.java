package dev.modelfleet.agent.hardware;

import dev.modelfleet.protocol.agent.v1.Accelerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * GPUs and NPUs the operating system shows, found cheaply from /proc, /dev and /sys (no vendor
 * library is loaded). A device whose vendor cannot be read is reported with an empty vendor;
 * display adapters of unknown PCI vendors (BMC consoles, virtual GPUs) are left out.
 */
final class Accelerators {

  private static final Map<String, String> GPU_VENDORS =
      Map.of("0x10de", "nvidia", "0x1002", "amd", "0x8086", "intel");
  private static final Map<String, String> NPU_VENDORS =
      Map.of("0x8086", "intel", "0x1022", "amd", "0x1002", "amd", "0x17cb", "qualcomm");

  private final Path proc;
  private final Path dev;
  private final Path sys;

  Accelerators(Path proc, Path dev, Path sys) {
    this.proc = proc;
    this.dev = dev;
    this.sys = sys;
  }

  List<Accelerator> find() {
    List<Accelerator> found = new ArrayList<>(nvidia());
    boolean nvidiaFound = !found.isEmpty();
    for (Path card : children(sys.resolve("class/drm"), "card\\d+")) {
      String vendor = GPU_VENDORS.get(firstLine(card.resolve("device/vendor")));
      if (vendor != null && !(vendor.equals("nvidia") && nvidiaFound)) {
        found.add(accelerator("gpu", vendor, driverName(card.resolve("device")), card));
      }
    }
    for (Path node : children(dev.resolve("accel"), "accel\\d+")) {
      Path device = sys.resolve("class/accel").resolve(node.getFileName()).resolve("device");
      String vendor = NPU_VENDORS.getOrDefault(firstLine(device.resolve("vendor")), "");
      found.add(accelerator("npu", vendor, driverName(device), node));
    }
    Path rknpu =
        Files.exists(dev.resolve("rknpu")) ? dev.resolve("rknpu") : sys.resolve("class/misc/rknpu");
    if (Files.exists(rknpu)) {
      found.add(accelerator("npu", "rockchip", "rknpu", rknpu));
    }
    return found;
  }

  /** The driver's own description of each GPU, else its device nodes. */
  private List<Accelerator> nvidia() {
    List<Accelerator> gpus = new ArrayList<>();
    for (Path gpu : children(proc.resolve("driver/nvidia/gpus"), ".+")) {
      Path information = gpu.resolve("information");
      String model = "";
      for (String line : lines(information)) {
        if (line.startsWith("Model:")) {
          model = line.substring("Model:".length()).trim();
        }
      }
      gpus.add(accelerator("gpu", "nvidia", model, information));
    }
    if (gpus.isEmpty()) {
      for (Path node : children(dev, "nvidia\\d+")) {
        gpus.add(accelerator("gpu", "nvidia", "", node));
      }
    }
    return gpus;
  }

  private static Accelerator accelerator(String kind, String vendor, String name, Path source) {
    return Accelerator.newBuilder()
        .setKind(kind)
        .setVendor(vendor)
        .setName(name)
        .setSource(source.toString())
        .build();
  }

  /** The kernel driver bound to a device (e.g. "amdgpu", "intel_vpu"); empty when unknown. */
  private static String driverName(Path device) {
    try {
      return Files.readSymbolicLink(device.resolve("driver")).getFileName().toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "";
    }
  }

  private static List<Path> children(Path dir, String namePattern) {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(p -> p.getFileName().toString().matches(namePattern)).sorted().toList();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String firstLine(Path file) {
    List<String> lines = lines(file);
    return lines.isEmpty() ? "" : lines.get(0).trim().toLowerCase(java.util.Locale.ROOT);
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }
}
