package dev.modelfleet.agent.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import dev.modelfleet.agent.runtime.ort.ExecutionProviders;
import dev.modelfleet.protocol.agent.v1.Accelerator;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HardwareProbeTest {

  @TempDir Path dir;

  Path proc() throws Exception {
    return Files.createDirectories(dir.resolve("proc"));
  }

  @Test
  void readsCpuAndMemoryFromProcAndLeavesUnknownsEmpty() throws Exception {
    Path proc = proc();
    Files.writeString(
        proc.resolve("cpuinfo"),
        """
        processor\t: 0
        Features\t: fp asimd aes crc32 asimddp i8mm sve
        CPU implementer\t: 0x41
        """);
    Files.writeString(
        proc.resolve("meminfo"),
        """
        MemTotal:        8000000 kB
        MemFree:          100000 kB
        MemAvailable:    4000000 kB
        """);
    HardwareProfile profile =
        new HardwareProbe(proc, dir.resolve("dev"), dir.resolve("sys")).probe(dir, "t");
    assertEquals(
        "", profile.getCpuModel(), "ARM cpuinfo without a model line: unknown, not guessed");
    assertEquals(
        List.of("asimd", "asimddp", "dotprod", "i8mm", "neon", "sve"),
        profile.getCpuFlagsList(),
        "inference flags with their ARM aliases, nothing else");
    assertEquals(8_192_000_000L, profile.getMemoryTotalBytes());
    assertEquals(4_096_000_000L, profile.getMemoryAvailableBytes());
    assertTrue(profile.getDiskFreeBytes() > 0);
    assertTrue(profile.getExecutionProvidersList().contains("cpu"));
    assertTrue(profile.getAcceleratorsList().isEmpty());
    assertFalse(profile.getSimulated());
    assertEquals("t", profile.getAgentVersion());
  }

  @Test
  void reportsX86InferenceFlagsAndTheModelName() throws Exception {
    Path proc = proc();
    Files.writeString(
        proc.resolve("cpuinfo"),
        """
        processor\t: 0
        model name\t: Intel(R) Xeon(R) Platinum 8480+
        flags\t\t: fpu sse2 avx avx2 fma f16c avx512f avx512_vnni avx512_bf16 amx_tile \
        amx_int8 sha_ni
        processor\t: 1
        flags\t\t: fpu
        """);
    HardwareProbe probe = new HardwareProbe(proc, dir.resolve("dev"), dir.resolve("sys"));
    HardwareProfile profile = probe.probe(dir, "t");
    assertEquals("Intel(R) Xeon(R) Platinum 8480+", profile.getCpuModel());
    assertEquals(
        List.of(
            "amx",
            "amx_int8",
            "amx_tile",
            "avx",
            "avx2",
            "avx512_bf16",
            "avx512_vnni",
            "avx512f",
            "f16c",
            "fma"),
        profile.getCpuFlagsList());
    assertTrue(
        probe.facts().cpuFlags().contains("sha_ni"),
        "variant needs are checked against every flag, not only the reported ones");
  }

  @Test
  void findsGpusAndNpusInFakeProcDevAndSysTrees() throws Exception {
    Path proc = proc();
    Path gpu = Files.createDirectories(proc.resolve("driver/nvidia/gpus/0000:01:00.0"));
    Files.writeString(
        gpu.resolve("information"),
        """
        Model: \t\t NVIDIA Jetson Orin
        IRQ:   \t\t 42
        """);
    Path dev = Files.createDirectories(dir.resolve("dev"));
    Files.createFile(dev.resolve("nvidia0"));
    Files.createFile(dev.resolve("nvidiactl"));
    Files.createFile(dev.resolve("rknpu"));
    Files.createDirectories(dev.resolve("accel"));
    Files.createFile(dev.resolve("accel/accel0"));
    Path sys = Files.createDirectories(dir.resolve("sys"));
    Path accelDevice = Files.createDirectories(sys.resolve("class/accel/accel0/device"));
    Files.writeString(accelDevice.resolve("vendor"), "0x8086\n");
    Path driver = Files.createDirectories(sys.resolve("bus/pci/drivers/intel_vpu"));
    Files.createSymbolicLink(accelDevice.resolve("driver"), driver);
    Path amd = Files.createDirectories(sys.resolve("class/drm/card1/device"));
    Files.writeString(amd.resolve("vendor"), "0x1002\n");
    Path bmc = Files.createDirectories(sys.resolve("class/drm/card0/device"));
    Files.writeString(bmc.resolve("vendor"), "0x1a03\n");
    Path nvidiaDrm = Files.createDirectories(sys.resolve("class/drm/card2/device"));
    Files.writeString(nvidiaDrm.resolve("vendor"), "0x10de\n");
    Files.createDirectories(sys.resolve("class/drm/card1-HDMI-A-1"));

    List<Accelerator> found =
        new HardwareProbe(proc, dev, sys).probe(dir, "t").getAcceleratorsList();

    assertEquals(
        List.of(
            "gpu/nvidia/NVIDIA Jetson Orin",
            "gpu/amd/",
            "npu/intel/intel_vpu",
            "npu/rockchip/rknpu"),
        found.stream().map(a -> a.getKind() + "/" + a.getVendor() + "/" + a.getName()).toList(),
        "one entry per device: the NVIDIA GPU once, the BMC display adapter left out");
    assertEquals(gpu.resolve("information").toString(), found.get(0).getSource());
  }

  @Test
  void nvidiaDeviceNodesAloneStillCountAsGpusOfUnknownModel() throws Exception {
    Path dev = Files.createDirectories(dir.resolve("dev"));
    Files.createFile(dev.resolve("nvidia0"));
    Files.createFile(dev.resolve("nvidia1"));
    List<Accelerator> found =
        new HardwareProbe(proc(), dev, dir.resolve("sys")).probe(dir, "t").getAcceleratorsList();
    assertEquals(2, found.size());
    assertEquals("", found.get(0).getName());
  }

  /** The real machine: flags as /proc/cpuinfo has them, providers as ONNX Runtime has them. */
  @Test
  void onThisMachineFlagsMatchCpuinfoAndProvidersMatchOnnxRuntime() throws Exception {
    HardwareProfile profile = new HardwareProbe().probe(dir, "t");
    Set<String> cpuinfo = new TreeSet<>();
    for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
      if (line.startsWith("flags") || line.startsWith("Features")) {
        cpuinfo.addAll(Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
        break;
      }
    }
    for (String flag : CpuFlags.FOR_INFERENCE) {
      assertEquals(cpuinfo.contains(flag), profile.getCpuFlagsList().contains(flag), flag);
    }
    EnumSet<OrtProvider> available = OrtEnvironment.getAvailableProviders();
    assertEquals(
        available.stream().map(ExecutionProviders::name).collect(Collectors.toSet()),
        Set.copyOf(profile.getExecutionProvidersList()));
    assertFalse(profile.getOnnxruntimeVersion().isEmpty());
    assertEquals(Runtime.getRuntime().availableProcessors(), profile.getCpuCores());
    assertTrue(profile.getMemoryTotalBytes() > 0);
    assertTrue(profile.getMemoryAvailableBytes() > 0);
    assertEquals(
        System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch"),
        profile.getArch());
  }
}
