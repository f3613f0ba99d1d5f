package dev.modelfleet.server.device;

import dev.modelfleet.server.hardware.HardwareClassRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What agents report about themselves. One short transaction per report for now; at fleet
 * scale heartbeats should be coalesced in memory and written in batches behind this API.
 */
@ApplicationScoped
public class DeviceActivityService {

  private final Clock clock;
  private final HardwareClassRegistry classes;

  DeviceActivityService(Clock clock, HardwareClassRegistry classes) {
    this.clock = clock;
    this.classes = classes;
  }

  /** {@code benchmark} is null when the Hello carried none. */
  @Transactional
  public void hello(
      UUID deviceId, HardwareInfo hardware, BenchmarkInfo benchmark, List<InstalledModelInfo> installed) {
    Device device = Device.findById(deviceId);
    if (device != null && device.isActive()) {
      recordHardware(device, hardware, benchmark);
      device.installed = installed;
      device.lastSeenAt = clock.instant();
    }
  }

  /** Whether the device may still use its stream (a decommissioning may have just committed). */
  @Transactional
  public boolean isActive(UUID deviceId) {
    Device device = Device.findById(deviceId);
    return device != null && device.isActive();
  }

  @Transactional
  public void benchmark(UUID deviceId, BenchmarkInfo benchmark) {
    Device device = Device.findById(deviceId);
    if (device != null) {
      device.benchmark = benchmark;
      device.lastSeenAt = clock.instant();
    }
  }

  @Transactional
  public void heartbeat(UUID deviceId, List<InstalledModelInfo> installed) {
    Device device = Device.findById(deviceId);
    if (device != null) {
      device.installed = installed;
      device.lastSeenAt = clock.instant();
    }
  }

  /**
   * Stores a profile and its class. Figures measured on other hardware would mislead the
   * matcher, so a profile that moves the device to another class without a fresh benchmark
   * drops the old one.
   */
  @Transactional(Transactional.TxType.MANDATORY)
  public void recordHardware(Device device, HardwareInfo hardware, BenchmarkInfo benchmark) {
    String classId = hardware == null ? null : classes.classify(hardware);
    if (benchmark != null) {
      device.benchmark = benchmark;
    } else if (!Objects.equals(classId, device.hardwareClassId)) {
      device.benchmark = null;
    }
    device.hardware = hardware;
    device.hardwareClassId = classId;
  }
}
