package dev.modelfleet.agent.trial;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Resident memory of this process from /proc/self/status, best effort: 0 where it cannot be read
 * (not Linux). The peak (VmHWM) is reset through /proc/self/clear_refs where the kernel allows it,
 * so that a trial's peak is its own, not the process's all-time high.
 */
final class ProcessMemory {

  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");

  private ProcessMemory() {}

  static long residentBytes() {
    return field("VmRSS:");
  }

  static long peakBytes() {
    return field("VmHWM:");
  }

  /** True when the peak now starts from the current resident size. */
  static boolean resetPeak() {
    try {
      Files.writeString(CLEAR_REFS, "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith(name)) {
          String[] parts = line.substring(name.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Unknown: 0.
    }
    return 0;
  }
}
