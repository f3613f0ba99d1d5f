package dev.modelfleet.server.assignment;

import dev.modelfleet.server.assignment.AssignmentViews.Assigned;
import dev.modelfleet.server.assignment.AssignmentViews.AssignmentResult;
import dev.modelfleet.server.assignment.AssignmentViews.Skipped;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceService;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import dev.modelfleet.server.matching.MatchingService;
import dev.modelfleet.server.matching.VersionMatcher;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * Points devices at a model version: per device, lets the matcher pick a variant, records it
 * as the device's desired model and publishes a newly signed desired state. A rollout calls
 * this per wave.
 */
@ApplicationScoped
public class AssignmentService {

  private final MatchingService matching;
  private final DesiredStateService desiredStates;
  private final Clock clock;

  AssignmentService(MatchingService matching, DesiredStateService desiredStates, Clock clock) {
    this.matching = matching;
    this.desiredStates = desiredStates;
    this.clock = clock;
  }

  /** {@code accuracyFloor}: drop variants less accurate than this; null for no floor. */
  @Transactional
  public AssignmentResult assign(Collection<Device> devices, ModelVersion version, Double accuracyFloor) {
    VersionMatcher matcher = matching.forVersion(version, accuracyFloor);
    List<Assigned> assigned = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (Device candidate : devices) {
      Device device = DeviceService.lockForUpdate(candidate.id);
      if (!device.isActive()) {
        skipped.add(new Skipped(device.id, "device is decommissioned"));
        continue;
      }
      MatchDecision decision = matcher.decide(device);
      Variant variant = matcher.chosenVariant(decision);
      if (variant == null) {
        skipped.add(new Skipped(device.id, decision.reason()));
        continue;
      }
      record(device.id, variant);
      DeviceDesiredState state = desiredStates.publish(device.id);
      recordPending(device.id, variant, state.generation);
      assigned.add(new Assigned(device.id, variant.id, state.generation, decision.reason()));
    }
    return new AssignmentResult(assigned, skipped);
  }

  private void record(UUID deviceId, Variant variant) {
    DesiredModel entry =
        DesiredModel.<DesiredModel>find(
                "deviceId = ?1 and model = ?2", deviceId, variant.version.model)
            .firstResultOptional()
            .orElseGet(() -> {
              DesiredModel created = new DesiredModel();
              created.id = UUID.randomUUID();
              created.deviceId = deviceId;
              created.model = variant.version.model;
              return created;
            });
    entry.variant = variant;
    entry.updatedAt = clock.instant();
    entry.persist();
  }

  private void recordPending(UUID deviceId, Variant variant, long generation) {
    DeploymentStatus status = DeploymentStatus.forUpdate(deviceId, variant.version.model.name);
    status.version = variant.version.version;
    status.variantId = variant.id;
    status.generation = generation;
    status.state = "pending";
    status.reason = null;
    status.reasonCode = null;
    status.executionProviderUsed = null;
    status.bytesDone = 0;
    status.bytesTotal = variant.size;
    status.updatedAt = Instant.now(clock);
    status.persist();
  }
}
