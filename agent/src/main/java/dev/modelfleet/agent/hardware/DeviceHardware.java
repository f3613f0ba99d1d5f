package dev.modelfleet.agent.hardware;

import dev.modelfleet.agent.runtime.ort.ExecutionProviders;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import java.nio.file.Path;
import java.util.Optional;

/**
 * This device as the agent reports and treats it: what the probe finds, or a simulated profile over
 * it. Variants are matched, benchmarks chosen and sessions configured from here, so a simulated
 * device behaves like the device it plays.
 */
public final class DeviceHardware {

  private final HardwareProbe probe;
  private final Path stateDir;
  private final String agentVersion;
  private final SimulatedProfile simulation;
  private final ExecutionProviders providers;

  /**
   * @param simulation null for a real device.
   */
  public DeviceHardware(
      HardwareProbe probe,
      Path stateDir,
      String agentVersion,
      SimulatedProfile simulation,
      boolean simulatedProvidersFallBackToCpu) {
    this.probe = probe;
    this.stateDir = stateDir;
    this.agentVersion = agentVersion;
    this.simulation = simulation;
    ExecutionProviders detected = ExecutionProviders.detected();
    this.providers =
        simulation == null || simulation.executionProviders() == null
            ? detected
            : detected.withSimulated(
                simulation.executionProviders(), simulatedProvidersFallBackToCpu);
  }

  private volatile boolean metered;
  private volatile String timeZone = "";

  /** What the device's operator said of its link (settings metered, time-zone), reported too. */
  public DeviceHardware withLink(boolean metered, java.time.ZoneId timeZone) {
    this.metered = metered;
    this.timeZone = timeZone.getId();
    return this;
  }

  public HardwareProfile profile() {
    HardwareProfile detected = probe.probe(stateDir, agentVersion);
    HardwareProfile profile = simulation == null ? detected : simulation.applyTo(detected);
    return profile.toBuilder().setMetered(metered).setTimeZone(timeZone).build();
  }

  public DeviceFacts facts() {
    DeviceFacts detected = probe.facts();
    return simulation == null ? detected : simulation.applyTo(detected);
  }

  public ExecutionProviders providers() {
    return providers;
  }

  public Optional<SimulatedProfile> simulation() {
    return Optional.ofNullable(simulation);
  }
}
