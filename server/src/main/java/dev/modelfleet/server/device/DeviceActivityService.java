package dev.modelfleet.server.device;

import dev.modelfleet.server.hardware.HardwareClassRegistry;
import dev.modelfleet.server.hardware.HardwareInfo;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What agents report about themselves. Hello, benchmark and progress reports are rare and get a
 * short transaction each; heartbeats, the bulk of the traffic, are buffered and written in batches
 * by {@code device.heartbeat.HeartbeatIngest}.
 */
@ApplicationScoped
public class DeviceActivityService {

  private final Clock clock;
  private final HardwareClassRegistry classes;

  DeviceActivityService(Clock clock, HardwareClassRegistry classes) {
    this.clock = clock;
    this.classes = classes;
  }

  /**
   * Records what a Hello reports; returns the device's status (null when there is no such device)
   * for the stream's first config. {@code benchmark} is null when the Hello carried none.
   */
  @Transactional
  public DeviceStatus hello(
      UUID deviceId,
      HardwareInfo hardware,
      BenchmarkInfo benchmark,
      List<InstalledModelInfo> installed,
      AgentInfo agent) {
    Device device = Device.findById(deviceId);
    // a pending device reports too, so that operators see what they are asked to approve
    if (device != null && device.mayConnect()) {
      recordHardware(device, hardware, benchmark);
      device.installed = installed;
      device.agentVersion = agent.version();
      device.agentProtocol = agent.protocol();
      device.agentConfigVersion = agent.configVersion();
      device.lastSeenAt = clock.instant();
    }
    return device == null ? null : device.status;
  }

  /**
   * The device's status now (an approval, rejection or decommissioning may have just committed);
   * null when there is no such device.
   */
  @Transactional
  public DeviceStatus status(UUID deviceId) {
    Device device = Device.findById(deviceId);
    return device == null ? null : device.status;
  }

  @Transactional
  public void benchmark(UUID deviceId, BenchmarkInfo benchmark) {
    Device device = Device.findById(deviceId);
    if (device != null) {
      device.benchmark = benchmark;
      device.lastSeenAt = clock.instant();
    }
  }

  /**
   * Stores a profile and its class. Figures measured on other hardware would mislead the matcher,
   * so a profile that moves the device to another class without a fresh benchmark drops the old
   * one.
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
