package dev.modelfleet.server.assignment;

import dev.modelfleet.server.assignment.AssignmentViews.Assigned;
import dev.modelfleet.server.assignment.AssignmentViews.AssignmentResult;
import dev.modelfleet.server.assignment.AssignmentViews.Skipped;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceService;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Points devices at a model version: per device, picks a variant, records it as the device's
 * desired model and publishes a newly signed desired state. A rollout calls this per wave.
 */
@ApplicationScoped
public class AssignmentService {

  private final VariantChooser chooser;
  private final DesiredStateService desiredStates;
  private final Clock clock;

  AssignmentService(VariantChooser chooser, DesiredStateService desiredStates, Clock clock) {
    this.chooser = chooser;
    this.desiredStates = desiredStates;
    this.clock = clock;
  }

  @Transactional
  public AssignmentResult assign(Collection<Device> devices, ModelVersion version) {
    List<Variant> variants = Variant.ofVersion(version);
    List<Assigned> assigned = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    for (Device candidate : devices) {
      Device device = DeviceService.lockForUpdate(candidate.id);
      if (!device.isActive()) {
        skipped.add(new Skipped(device.id, "device is decommissioned"));
        continue;
      }
      Optional<Variant> variant = chooser.choose(device.hardware, variants);
      if (variant.isEmpty()) {
        skipped.add(new Skipped(device.id, noFitReason(device, variants)));
        continue;
      }
      record(device.id, variant.get());
      DeviceDesiredState state = desiredStates.publish(device.id);
      recordPending(device.id, variant.get(), state.generation);
      assigned.add(new Assigned(device.id, variant.get().id, state.generation));
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
    status.bytesDone = 0;
    status.bytesTotal = variant.size;
    status.updatedAt = Instant.now(clock);
    status.persist();
  }

  private static String noFitReason(Device device, List<Variant> variants) {
    if (variants.isEmpty()) {
      return "the version has no variants";
    }
    if (device.hardware == null) {
      return "device has not reported its hardware profile yet";
    }
    return "no variant for the device's execution providers " + device.hardware.executionProviders()
        + " (variants: " + variants.stream()
            .map(v -> v.precision + "/" + v.executionProvider)
            .collect(Collectors.joining(", ")) + ")";
  }
}
