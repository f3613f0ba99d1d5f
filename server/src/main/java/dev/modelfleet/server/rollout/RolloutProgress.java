package dev.modelfleet.server.rollout;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A rollout's devices at one moment, grouped by wave, with each wave's figures computed once: the
 * engine's step, the progress view and resume all read the same numbers.
 */
final class RolloutProgress {

  private final List<DeviceProgress> devices;
  private final Map<Integer, List<DeviceProgress>> byWave;
  private final Map<Integer, WaveStats> stats = new HashMap<>();
  private final String version;
  private final Instant offlineSince;
  private final long minRequests;

  RolloutProgress(Rollout rollout, List<DeviceProgress> devices, Instant offlineSince) {
    this.devices = devices;
    this.byWave = devices.stream().collect(Collectors.groupingBy(DeviceProgress::wave));
    this.version = rollout.version.version;
    this.offlineSince = offlineSince;
    this.minRequests = rollout.plan.gates().minRequests();
  }

  /** Reads the rollout's devices as they stand now. */
  static RolloutProgress load(Rollout rollout, Instant offlineSince) {
    return new RolloutProgress(
        rollout,
        RolloutProgressQuery.load(rollout.id, rollout.model.name, rollout.version.version),
        offlineSince);
  }

  List<DeviceProgress> devices() {
    return devices;
  }

  List<DeviceProgress> devicesOf(int wave) {
    return byWave.getOrDefault(wave, List.of());
  }

  WaveStats wave(int wave) {
    return stats.computeIfAbsent(
        wave, w -> WaveStats.of(devicesOf(w), version, offlineSince, minRequests));
  }

  WaveStats total() {
    return WaveStats.of(devices, version, offlineSince, minRequests);
  }

  String stateOf(DeviceProgress device) {
    return device.state(version, offlineSince);
  }

  Instant offlineSince() {
    return offlineSince;
  }
}
