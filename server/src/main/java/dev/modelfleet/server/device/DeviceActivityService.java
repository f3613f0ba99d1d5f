package dev.modelfleet.server.device;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/**
 * What agents report about themselves. One short transaction per report for now; at fleet
 * scale heartbeats should be coalesced in memory and written in batches behind this API.
 */
@ApplicationScoped
public class DeviceActivityService {

  private final Clock clock;

  DeviceActivityService(Clock clock) {
    this.clock = clock;
  }

  @Transactional
  public void hello(UUID deviceId, HardwareInfo hardware, List<InstalledModelInfo> installed) {
    Device device = Device.findById(deviceId);
    if (device != null) {
      device.hardware = hardware;
      device.installed = installed;
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
}
