package dev.modelfleet.server.assignment;

import dev.modelfleet.server.assignment.AssignmentViews.Assigned;
import dev.modelfleet.server.assignment.AssignmentViews.AssignmentResult;
import dev.modelfleet.server.assignment.AssignmentViews.BatchAssignment;
import dev.modelfleet.server.assignment.AssignmentViews.Skipped;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceLocks;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import dev.modelfleet.server.matching.MatchingService;
import dev.modelfleet.server.matching.VersionMatcher;
import dev.modelfleet.server.model.Model;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.EntityManager;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Points devices at a model version: per device, lets the matcher pick a variant, records it as the
 * device's desired model and publishes a newly signed desired state. A rollout calls this per wave,
 * and {@link #revert} when it rolls back.
 */
@ApplicationScoped
public class AssignmentService {

  /** Why a device's desired state changed, for its history. */
  public record Cause(String name, UUID rolloutId) {
    public static final Cause DIRECT = new Cause("assignment", null);

    /**
     * A rollout's rollback of its devices: the one change that may point them at an older version.
     */
    public static Cause rollback(UUID rolloutId) {
      return new Cause(ROLLBACK, rolloutId);
    }
  }

  private static final String ROLLBACK = "rollback";

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
  public AssignmentResult assign(
      Collection<UUID> deviceIds, ModelVersion version, Double accuracyFloor) {
    return assign(deviceIds, version, accuracyFloor, Cause.DIRECT);
  }

  /**
   * Locks the devices in id order, lets the matcher pick each one's variant and publishes newly
   * signed desired states, reading and writing the batch's rows a statement per table rather than
   * per device: a rollout tells its devices 50 at a time, and at 50,000 devices per-device queries
   * made the engine's one thread spend about 20 ms on each. Takes ids, not devices: the devices are
   * loaded once, by the locking query (a device deleted meanwhile is simply not there).
   */
  @Transactional
  public AssignmentResult assign(
      Collection<UUID> deviceIds, ModelVersion version, Double accuracyFloor, Cause cause) {
    return assignLocked(DeviceLocks.lockAll(deviceIds), version, accuracyFloor, cause);
  }

  /**
   * As {@link #assign(Collection, ModelVersion, Double, Cause)}, except that a device whose row
   * another transaction holds at this moment (a heartbeat flush, a progress report, an operator's
   * change) is left for the caller to try again instead of waited for: a rollout's engine, which
   * comes back to its untold devices anyway, should not stand still behind one busy row.
   */
  @Transactional
  public BatchAssignment assignUnlessBusy(
      Collection<UUID> deviceIds, ModelVersion version, Double accuracyFloor, Cause cause) {
    DeviceLocks.Taken taken = DeviceLocks.lockAllFree(deviceIds);
    return new BatchAssignment(
        assignLocked(taken.locked(), version, accuracyFloor, cause), taken.busy());
  }

  private AssignmentResult assignLocked(
      List<Device> locked, ModelVersion version, Double accuracyFloor, Cause cause) {
    VersionMatcher matcher = matching.forVersion(version, accuracyFloor);
    Model model = version.model;
    List<UUID> ids = locked.stream().map(d -> d.id).toList();
    Map<UUID, DesiredModel> slots = DesiredModel.ofDevices(ids, model);
    List<Assigned> assigned = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    Map<UUID, Variant> chosen = new LinkedHashMap<>();
    Map<UUID, MatchDecision> decisions = new HashMap<>();
    Map<UUID, UUID> previous = new HashMap<>();
    for (Device device : locked) {
      if (!device.isActive()) {
        skipped.add(new Skipped(device.id, "device is " + device.status.value()));
        continue;
      }
      MatchDecision decision = matcher.decide(device);
      Variant variant = matcher.chosenVariant(decision);
      if (variant == null) {
        skipped.add(new Skipped(device.id, decision.reason()));
        continue;
      }
      DesiredModel slot = slots.get(device.id);
      previous.put(device.id, slot == null ? null : slot.variant.id);
      slots.put(device.id, point(slot, device.id, variant, ROLLBACK.equals(cause.name())));
      chosen.put(device.id, variant);
      decisions.put(device.id, decision);
    }
    List<UUID> told = new ArrayList<>(chosen.keySet());
    Map<UUID, DeviceDesiredState> states = desiredStates.publishAll(told);
    Map<UUID, DeploymentStatus> statuses = DeploymentStatus.forUpdate(told, model.name);
    List<DeploymentHistory> history = new ArrayList<>();
    Instant now = clock.instant();
    for (UUID deviceId : told) {
      Variant variant = chosen.get(deviceId);
      long generation = states.get(deviceId).generation;
      recordDeployment(statuses.get(deviceId), variant, generation);
      history.add(
          DeploymentHistory.line(
              deviceId,
              model.name,
              variant.version.version,
              variant.id,
              generation,
              "desired",
              cause.name(),
              cause.rolloutId(),
              now));
      assigned.add(
          new Assigned(
              deviceId,
              variant.id,
              generation,
              decisions.get(deviceId).reason(),
              previous.get(deviceId)));
    }
    DeploymentHistory.recordAll(history);
    EntityManager em = Panache.getEntityManager();
    em.flush();
    // the batch's rows leave the persistence context, so the next batch's flushes do not
    // dirty-check them again (kept, n batches would cost n² checks)
    locked.forEach(em::detach);
    slots.values().forEach(em::detach);
    states.values().forEach(em::detach);
    statuses.values().forEach(em::detach);
    return new AssignmentResult(assigned, skipped);
  }

  /** {@code slot} (null: a new one) of the device, pointed at {@code variant}. */
  private DesiredModel point(
      DesiredModel slot, UUID deviceId, Variant variant, boolean allowDowngrade) {
    DesiredModel entry = slot;
    if (entry == null) {
      entry = new DesiredModel();
      entry.id = UUID.randomUUID();
      entry.deviceId = deviceId;
      entry.model = variant.version.model;
    }
    entry.variant = variant;
    entry.allowDowngrade = allowDowngrade;
    // Serving a version ends any shadow of the model: the candidate either is it now, or lost.
    entry.clearShadow();
    entry.updatedAt = clock.instant();
    entry.persist();
    return entry;
  }

  /** How a device samples and compares its shadow candidate. */
  /**
   * How the candidate is sampled and compared; {@code validationSha256} (null for none) names the
   * validation set a device with no live request for {@code idleSeconds} replays instead.
   */
  public record ShadowSampling(
      String comparison,
      double sampleRate,
      int maxPerSecond,
      String validationSha256,
      Long validationSize,
      Integer idleSeconds) {

    public ShadowSampling(String comparison, double sampleRate, int maxPerSecond) {
      this(comparison, sampleRate, maxPerSecond, null, null, null);
    }
  }

  /**
   * Gives each device {@code version} as a shadow of the variant it serves: the matcher picks the
   * variant as for a real assignment, and the device runs it beside the serving one, never in its
   * place. A device that serves no version of the model has nothing to compare with and is skipped
   * (it gets the version at cut-over).
   */
  @Transactional(Transactional.TxType.MANDATORY)
  public AssignmentResult shadow(
      Collection<Device> devices,
      ModelVersion version,
      Double accuracyFloor,
      ShadowSampling sampling) {
    VersionMatcher matcher = matching.forVersion(version, accuracyFloor);
    List<Assigned> assigned = new ArrayList<>();
    List<Skipped> skipped = new ArrayList<>();
    List<Object> touched = new ArrayList<>();
    for (Device candidate : devices) {
      Device device = DeviceLocks.lock(candidate.id);
      DesiredModel entry =
          DesiredModel.<DesiredModel>find("deviceId = ?1 and model = ?2", device.id, version.model)
              .firstResultOptional()
              .orElse(null);
      if (!device.isActive() || entry == null) {
        skipped.add(
            new Skipped(
                device.id,
                !device.isActive()
                    ? "device is " + device.status.value()
                    : "serves no version of the model: nothing to compare a shadow with"));
        continue;
      }
      if (entry.variant.version.id.equals(version.id)) {
        skipped.add(new Skipped(device.id, "already serves the version"));
        continue;
      }
      MatchDecision decision = matcher.decide(device);
      Variant variant = matcher.chosenVariant(decision);
      if (variant == null) {
        skipped.add(new Skipped(device.id, decision.reason()));
        continue;
      }
      entry.shadowVariant = variant;
      entry.shadowComparison = sampling.comparison();
      entry.shadowSampleRate = sampling.sampleRate();
      entry.shadowMaxPerSecond = sampling.maxPerSecond();
      entry.shadowValidationSha256 = sampling.validationSha256();
      entry.shadowValidationSize =
          sampling.validationSha256() == null ? null : sampling.validationSize();
      entry.shadowIdleSeconds = sampling.idleSeconds();
      entry.updatedAt = clock.instant();
      entry.persist();
      touched.add(entry);
      DeviceDesiredState state = desiredStates.publish(device.id);
      touched.add(state);
      assigned.add(
          new Assigned(
              device.id, variant.id, state.generation, decision.reason(), entry.variant.id));
      forget(device, touched);
    }
    return new AssignmentResult(assigned, skipped);
  }

  /** Stops the shadow of {@code model} on each device that still runs one. */
  @Transactional(Transactional.TxType.MANDATORY)
  public void stopShadows(Collection<UUID> deviceIds, Model model) {
    List<Object> touched = new ArrayList<>();
    for (UUID deviceId : deviceIds) {
      Device device = DeviceLocks.lock(deviceId);
      DesiredModel entry =
          DesiredModel.<DesiredModel>find("deviceId = ?1 and model = ?2", deviceId, model)
              .firstResultOptional()
              .orElse(null);
      if (entry == null || entry.shadowVariant == null) {
        continue;
      }
      entry.clearShadow();
      entry.updatedAt = clock.instant();
      touched.add(entry);
      if (device.isActive()) {
        touched.add(desiredStates.publish(deviceId));
      }
      forget(device, touched);
    }
  }

  /**
   * Puts a device back on {@code previous} (null: takes the model off it), unless its desired state
   * for the model has moved on from {@code expectedCurrent} meanwhile (another rollout or an
   * operator changed it: their decision stands). A revert is a new, higher generation.
   *
   * @return the new generation, or empty when the device was left alone
   */
  @Transactional(Transactional.TxType.MANDATORY)
  public Optional<Long> revert(
      UUID deviceId, Model model, UUID expectedCurrent, UUID previous, Cause cause) {
    Device device = DeviceLocks.lock(deviceId);
    Optional<Variant> current = desiredVariant(deviceId, model);
    if (!device.isActive() || current.isEmpty() || !current.get().id.equals(expectedCurrent)) {
      return Optional.empty();
    }
    List<Object> touched = new ArrayList<>();
    long generation;
    if (previous != null) {
      generation = pointAt(deviceId, model, Variant.findById(previous), cause, touched);
    } else {
      DesiredModel.delete("deviceId = ?1 and model = ?2", deviceId, model);
      DeviceDesiredState state = desiredStates.publish(deviceId);
      generation = state.generation;
      touched.add(state);
      touched.add(
          DeploymentHistory.record(
              deviceId,
              model.name,
              null,
              null,
              generation,
              "desired",
              cause.name(),
              cause.rolloutId(),
              clock.instant()));
      DeploymentStatus.delete("deviceId = ?1 and model = ?2", deviceId, model.name);
    }
    forget(device, touched);
    return Optional.of(generation);
  }

  /**
   * Writes what one device's change did and drops its rows from the persistence context. Every
   * query auto-flushes, and every flush dirty-checks each managed entity: kept around, a batch of n
   * devices costs n² checks (most of a 200-device assignment's time went there).
   */
  private static void forget(Device device, List<Object> touched) {
    EntityManager em = Panache.getEntityManager();
    em.flush();
    em.detach(device);
    touched.forEach(em::detach);
    touched.clear();
  }

  /** The caller holds the device lock ({@link DeviceLocks}). */
  private long pointAt(
      UUID deviceId, Model model, Variant variant, Cause cause, List<Object> touched) {
    touched.add(record(deviceId, variant, ROLLBACK.equals(cause.name())));
    DeviceDesiredState state = desiredStates.publish(deviceId);
    touched.add(state);
    touched.add(recordDeployment(deviceId, variant, state.generation));
    touched.add(
        DeploymentHistory.record(
            deviceId,
            model.name,
            variant.version.version,
            variant.id,
            state.generation,
            "desired",
            cause.name(),
            cause.rolloutId(),
            clock.instant()));
    return state.generation;
  }

  private static Optional<Variant> desiredVariant(UUID deviceId, Model model) {
    return DesiredModel.<DesiredModel>find("deviceId = ?1 and model = ?2", deviceId, model)
        .firstResultOptional()
        .map(d -> d.variant);
  }

  private DesiredModel record(UUID deviceId, Variant variant, boolean allowDowngrade) {
    DesiredModel entry =
        DesiredModel.<DesiredModel>find(
                "deviceId = ?1 and model = ?2", deviceId, variant.version.model)
            .firstResultOptional()
            .orElseGet(
                () -> {
                  DesiredModel created = new DesiredModel();
                  created.id = UUID.randomUUID();
                  created.deviceId = deviceId;
                  created.model = variant.version.model;
                  return created;
                });
    entry.variant = variant;
    entry.allowDowngrade = allowDowngrade;
    // Serving a version ends any shadow of the model: the candidate either is it now, or lost.
    entry.clearShadow();
    entry.updatedAt = clock.instant();
    entry.persist();
    return entry;
  }

  private DeploymentStatus recordDeployment(UUID deviceId, Variant variant, long generation) {
    return recordDeployment(
        DeploymentStatus.forUpdate(deviceId, variant.version.model.name), variant, generation);
  }

  private DeploymentStatus recordDeployment(
      DeploymentStatus status, Variant variant, long generation) {
    if ("active".equals(status.state) && variant.id.equals(status.variantId)) {
      // The device serves this very variant: it accepts the new generation and, since nothing
      // changes for it, reports nothing; waiting for a report would leave it pending forever.
      status.generation = generation;
      status.updatedAt = Instant.now(clock);
      status.persist();
      return status;
    }
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
    return status;
  }
}
