package dev.modelfleet.agent.hardware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.v1.HardwareProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HardwareProbeTest {

  @TempDir Path dir;

  @Test
  void readsCpuAndMemoryFromProcAndLeavesUnknownsEmpty() throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc"));
    Files.writeString(proc.resolve("cpuinfo"), """
        processor\t: 0
        Features\t: fp asimd aes crc32 asimddp
        CPU implementer\t: 0x41
        """);
    Files.writeString(proc.resolve("meminfo"), """
        MemTotal:        8000000 kB
        MemFree:          100000 kB
        MemAvailable:    4000000 kB
        """);
    HardwareProfile profile = new HardwareProbe(proc, dir.resolve("dev")).probe(dir, "t");
    assertEquals("", profile.getCpuModel(), "ARM cpuinfo without a model line: unknown, not guessed");
    assertTrue(profile.getCpuFlagsList().contains("asimddp"));
    assertEquals(8_192_000_000L, profile.getMemoryTotalBytes());
    assertEquals(4_096_000_000L, profile.getMemoryAvailableBytes());
    assertTrue(profile.getDiskFreeBytes() > 0);
    assertTrue(profile.getExecutionProvidersList().contains("cpu"));
    assertTrue(profile.getAcceleratorsList().isEmpty());
    assertEquals("t", profile.getAgentVersion());
  }
}
