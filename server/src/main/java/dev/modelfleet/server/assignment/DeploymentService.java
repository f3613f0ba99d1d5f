package dev.modelfleet.server.assignment;

import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.server.assignment.DeploymentViews.HistoryView;
import dev.modelfleet.server.common.Page;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.common.StoredText;
import dev.modelfleet.server.device.DeviceDeployments;
import dev.modelfleet.server.device.DeviceDetails.DeploymentView;
import dev.modelfleet.server.device.DeviceDetails.DesiredModelView;
import dev.modelfleet.server.device.DeviceDetails.DesiredView;
import dev.modelfleet.server.device.DeviceLocks;
import dev.modelfleet.server.device.InstalledModelInfo;
import dev.modelfleet.server.matching.ProviderMismatchService;
import dev.modelfleet.server.model.Variant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/** Deployment progress as devices report it, and what a device should run, for operators. */
@ApplicationScoped
public class DeploymentService implements DeviceDeployments {

  private final Clock clock;
  private final ProviderMismatchService mismatches;
  private final Event<DeploymentsProgressed> progressed;

  DeploymentService(
      Clock clock, ProviderMismatchService mismatches, Event<DeploymentsProgressed> progressed) {
    this.clock = clock;
    this.mismatches = mismatches;
    this.progressed = progressed;
  }

  @Transactional
  public void recordProgress(UUID deviceId, DeploymentProgress progress) {
    record(List.of(new ProgressReport(deviceId, progress)), true);
  }

  /**
   * Many devices' reports in one transaction, each applied in the order given (a device's reports
   * keep the order it sent them in). A statement per table for the batch instead of a transaction
   * with eight round trips per report: during a fleet rollout every device reports four or five
   * times, and those reports were the largest part of the server's work. See {@link
   * ProgressIngest}.
   */
  @Transactional
  public void recordProgress(List<ProgressReport> reports) {
    record(reports, true);
  }

  /**
   * @param reported whether the devices sent them (then a device's execution provider is compared
   *     with the variant's); false for what the server infers from a device's Hello, which names
   *     none
   */
  private void record(List<ProgressReport> reports, boolean reported) {
    // a report without a model has nothing to attach to: the agent's bug, not worth closing over
    List<ProgressReport> usable =
        reports.stream().filter(r -> !r.progress().getModel().isEmpty()).toList();
    if (usable.isEmpty()) {
      return;
    }
    // an assignment writes the same rows under the device lock; without it, the first report for
    // a model and an assignment of it both insert the row and one of them fails on commit
    Set<UUID> devices =
        DeviceLocks.lockRows(usable.stream().map(ProgressReport::deviceId).distinct().toList());
    Map<StatusKey, DeploymentStatus> statuses = new HashMap<>();
    DeploymentStatus.<DeploymentStatus>list("deviceId in ?1", devices)
        .forEach(row -> statuses.put(new StatusKey(row.deviceId, row.model), row));
    Set<UUID> withNewModel = new LinkedHashSet<>();
    List<DeploymentHistory> history = new ArrayList<>();
    List<DeploymentProgressed> changes = new ArrayList<>();
    // numbered reports (agents that keep them until acknowledged) may come twice: once before a
    // stream broke, once resent on the next; the second changes nothing
    Map<UUID, ReportSequence> sequences =
        usable.stream().anyMatch(r -> r.progress().getReportSeq() > 0)
            ? ReportSequence.of(devices)
            : Map.of();
    Set<ReportSequence> counted = new LinkedHashSet<>();
    for (ProgressReport report : usable) {
      if (!devices.contains(report.deviceId())) {
        continue; // deleted meanwhile: its stream is being closed
      }
      DeploymentProgress progress = report.progress();
      if (progress.getReportSeq() > 0) {
        ReportSequence row = sequences.get(report.deviceId());
        if (ReportSequence.alreadyStored(row, progress)) {
          continue;
        }
        row = ReportSequence.stored(row, report.deviceId(), progress, clock.instant());
        sequences.put(report.deviceId(), row);
        counted.add(row);
      }
      DeploymentStatus status =
          statuses.computeIfAbsent(
              new StatusKey(report.deviceId(), name(report.progress().getModel())),
              key -> DeploymentStatus.newRow(key.deviceId(), key.model()));
      if (status.state == null) {
        withNewModel.add(report.deviceId());
      }
      apply(report, status, reported, history, changes);
    }
    statuses.values().forEach(row -> row.persist());
    counted.forEach(row -> row.persist());
    // a device, even one still pending approval, can name any number of models
    withNewModel.forEach(d -> DeploymentStatus.keepNewest(d, DeploymentStatus.KEPT_PER_DEVICE));
    DeploymentHistory.recordAll(history);
    DeploymentHistory.keepNewest(
        history.stream().map(line -> line.deviceId).collect(Collectors.toSet()),
        DeploymentHistory.KEPT_PER_DEVICE);
    if (!changes.isEmpty()) {
      progressed.fire(new DeploymentsProgressed(changes));
    }
  }

  private record StatusKey(UUID deviceId, String model) {}

  /** One report onto its device's status row; the history line and change it makes, if any. */
  private void apply(
      ProgressReport report,
      DeploymentStatus status,
      boolean reported,
      List<DeploymentHistory> history,
      List<DeploymentProgressed> changes) {
    UUID deviceId = report.deviceId();
    DeploymentProgress progress = report.progress();
    String stateBefore = status.state;
    String versionBefore = status.version;
    long generationBefore = status.generation;
    status.version = name(progress.getVersion());
    status.variantId = parseOrNull(progress.getVariantId());
    status.generation = progress.getGeneration();
    status.state = stateName(progress.getState());
    status.reason = emptyToNull(StoredText.bounded(progress.getReason(), StoredText.REASON_LENGTH));
    status.reasonCode = emptyToNull(name(progress.getReasonCode()));
    status.bytesDone = progress.getBytesDone();
    status.bytesTotal = progress.getBytesTotal();
    status.executionProviderUsed = emptyToNull(name(progress.getExecutionProviderUsed()));
    status.deliveredByDelta = progress.getDeliveredByDelta();
    status.deltaFallbackReason =
        emptyToNull(
            StoredText.bounded(progress.getDeltaFallbackReason(), StoredText.REASON_LENGTH));
    status.deliveredCompressed = progress.getDeliveredCompressed();
    status.compressedFallbackReason =
        emptyToNull(
            StoredText.bounded(progress.getCompressedFallbackReason(), StoredText.REASON_LENGTH));
    if (progress.getWaitingUntilMs() > 0) {
      status.waitingUntil = Instant.ofEpochMilli(progress.getWaitingUntilMs());
    } else if (progress.getGeneration() != generationBefore) {
      status.waitingUntil = null;
    }
    status.updatedAt = clock.instant();
    boolean changed =
        !Objects.equals(stateBefore, status.state)
            || !Objects.equals(versionBefore, status.version)
            || generationBefore != status.generation;
    if (changed) {
      changes.add(new DeploymentProgressed(deviceId, status.model, status.version, status.state));
    }
    // A report from a bundle install is history even when the Hello that opened the session
    // already showed the model active (the queued report follows the Hello): it says where the
    // version came from, and when.
    boolean fromBundle = !progress.getBundleId().isEmpty();
    if ((changed || fromBundle)
        && ("active".equals(status.state) || "failed".equals(status.state))) {
      UUID bundle = parseOrNull(progress.getBundleId());
      String cause = "failed".equals(status.state) ? failureCause(status) : null;
      DeploymentHistory line =
          DeploymentHistory.line(
              deviceId,
              status.model,
              status.version,
              status.variantId,
              status.generation,
              status.state,
              bundle == null
                  ? cause
                  : "from bundle " + bundle + (cause == null ? "" : ": " + cause),
              null,
              // a report queued while offline says when it happened, not when it arrived
              progress.getMadeAtMs() > 0
                  ? Instant.ofEpochMilli(progress.getMadeAtMs())
                  : status.updatedAt);
      line.bundleId = bundle;
      history.add(line);
    }
    if (reported
        && progress.getState() == DeploymentState.DEPLOYMENT_STATE_ACTIVE
        && status.variantId != null) {
      mismatches.recordIfDifferent(
          deviceId,
          Variant.findById(status.variantId),
          progress.getExecutionProviderUsed(),
          "deployment");
    }
  }

  /**
   * Makes up for ACTIVE reports that never got stored (the database was away when the device sent
   * one, and the stream was closed over it): a device reports ACTIVE once per version, and after
   * reconnecting only lists what it serves in its Hello. Where that list shows a model active on
   * the very variant the device's current desired state names, and the device accepted that
   * document, the device's status is recorded as if it had reported ACTIVE again.
   */
  @Transactional
  public void reconcileInstalled(
      UUID deviceId, long acceptedGeneration, List<InstalledModelInfo> installed) {
    DeviceDesiredState desired = DeviceDesiredState.findById(deviceId);
    if (desired == null || acceptedGeneration < desired.generation) {
      return; // the device has not taken the current document yet: its reports will follow
    }
    for (DesiredModel wanted : DesiredModel.ofDevice(deviceId)) {
      String model = wanted.model.name;
      boolean serving =
          installed.stream()
              .anyMatch(
                  m ->
                      m.active()
                          && m.model().equals(model)
                          && m.sha256().equals(wanted.variant.sha256));
      if (!serving) {
        continue;
      }
      DeploymentStatus status =
          DeploymentStatus.find("deviceId = ?1 and model = ?2", deviceId, model).firstResult();
      String version = wanted.variant.version.version;
      boolean recorded =
          status != null
              && "active".equals(status.state)
              && version.equals(status.version)
              && status.generation >= desired.generation;
      if (!recorded) {
        record(
            List.of(
                new ProgressReport(
                    deviceId,
                    DeploymentProgress.newBuilder()
                        .setModel(model)
                        .setVersion(version)
                        .setVariantId(wanted.variant.id.toString())
                        .setGeneration(desired.generation)
                        .setState(DeploymentState.DEPLOYMENT_STATE_ACTIVE)
                        .setBytesDone(wanted.variant.size)
                        .setBytesTotal(wanted.variant.size)
                        .build())),
            false);
      }
    }
  }

  @Override
  @Transactional
  public Optional<DesiredView> desired(UUID deviceId) {
    DeviceDesiredState state = DeviceDesiredState.findById(deviceId);
    if (state == null) {
      return Optional.empty();
    }
    List<DesiredModelView> models =
        DesiredModel.ofDevice(deviceId).stream()
            .map(
                d ->
                    new DesiredModelView(
                        d.model.name,
                        d.variant.version.version,
                        d.variant.id,
                        d.variant.precision,
                        d.variant.executionProvider,
                        d.variant.sha256,
                        d.variant.size))
            .toList();
    return Optional.of(new DesiredView(state.generation, state.issuedAt, state.expiresAt, models));
  }

  @Override
  @Transactional
  public List<DeploymentView> deployments(UUID deviceId) {
    return DeploymentStatus.<DeploymentStatus>list("deviceId = ?1 order by model", deviceId)
        .stream()
        .map(
            s ->
                new DeploymentView(
                    s.model,
                    s.version,
                    s.variantId,
                    s.generation,
                    s.state,
                    s.reason,
                    s.reasonCode,
                    s.bytesDone,
                    s.bytesTotal,
                    s.executionProviderUsed,
                    s.deliveredByDelta,
                    s.deltaFallbackReason,
                    s.deliveredCompressed,
                    s.compressedFallbackReason,
                    s.updatedAt))
        .toList();
  }

  /** A page of the device's history, newest first (by id: the key descends). */
  @Transactional
  public Page<HistoryView> history(UUID deviceId, PageRequest page) {
    return page.fill(
            new Class<?>[] {Long.class},
            (after, count) ->
                (after == null
                        ? DeploymentHistory.<DeploymentHistory>find(
                            "deviceId = ?1 order by id desc", deviceId)
                        : DeploymentHistory.<DeploymentHistory>find(
                            "deviceId = ?1 and id < ?2 order by id desc", deviceId, after.get(0)))
                    .range(0, count - 1)
                    .list(),
            h -> List.of(h.id),
            null)
        .map(
            h ->
                new HistoryView(
                    h.at,
                    h.kind,
                    h.model,
                    h.version,
                    h.variantId,
                    h.generation,
                    h.cause,
                    h.rolloutId,
                    h.bundleId));
  }

  private static String name(String reported) {
    return StoredText.bounded(reported, StoredText.NAME_LENGTH);
  }

  private static String emptyToNull(String text) {
    return text.isEmpty() ? null : text;
  }

  private static String failureCause(DeploymentStatus status) {
    if (status.reasonCode == null) {
      return status.reason;
    }
    return status.reason == null ? status.reasonCode : status.reasonCode + ": " + status.reason;
  }

  private static String stateName(DeploymentState state) {
    if (state == DeploymentState.UNRECOGNIZED
        || state == DeploymentState.DEPLOYMENT_STATE_UNSPECIFIED) {
      return "unknown";
    }
    return state.name().substring("DEPLOYMENT_STATE_".length()).toLowerCase(Locale.ROOT);
  }

  private static UUID parseOrNull(String id) {
    try {
      return id.isEmpty() ? null : UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
