package dev.modelfleet.server.trial;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.TrialRequest;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceLinks;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import dev.modelfleet.server.matching.MatchingService;
import dev.modelfleet.server.matching.VersionMatcher;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import dev.modelfleet.server.trial.TrialViews.TrialView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * Starts trials: each connected device gets the signed manifests of the version's variants it can
 * run (the matcher's hard filters), times them and reports. The results then rank those variants
 * for every device of its hardware class.
 */
@ApplicationScoped
public class TrialService {

  public static final int DEFAULT_RUNS = 20;
  public static final int MAX_RUNS = 1000;

  private final MatchingService matching;
  private final DeviceLinks links;
  private final TrialReports reports;
  private final Event<TrialRequested> requested;
  private final Clock clock;

  TrialService(
      MatchingService matching,
      DeviceLinks links,
      TrialReports reports,
      Event<TrialRequested> requested,
      Clock clock) {
    this.matching = matching;
    this.links = links;
    this.reports = reports;
    this.requested = requested;
    this.clock = clock;
  }

  @Transactional
  public TrialView start(ModelVersion version, Collection<Device> devices, Integer runs) {
    int timedRuns = runs == null ? DEFAULT_RUNS : runs;
    if (timedRuns < 1 || timedRuns > MAX_RUNS) {
      throw ApiError.INVALID_REQUEST.exception(
          "'runs' must be between 1 and "
              + MAX_RUNS
              + " (timed runs per variant); got "
              + runs
              + ".");
    }
    Instant now = clock.instant();
    Trial trial = new Trial();
    trial.id = UUID.randomUUID();
    trial.version = version;
    trial.runs = timedRuns;
    trial.requestedAt = now;
    trial.persist();
    VersionMatcher matcher = matching.forVersion(version, null);
    for (Device device : devices) {
      TrialDevice row = new TrialDevice();
      row.id = UUID.randomUUID();
      row.trialId = trial.id;
      row.deviceId = device.id;
      row.hardwareClassId = device.hardwareClassId;
      row.updatedAt = now;
      List<Variant> toTime = admit(row, device, matcher);
      if (!toTime.isEmpty()) {
        send(trial, device, toTime, now);
      }
      row.persist();
    }
    return reports.view(trial);
  }

  /**
   * Records whether the device can take the trial (active, something it can run, connected here)
   * and returns the variants to send it, best estimate first: none unless it can.
   */
  private List<Variant> admit(TrialDevice row, Device device, VersionMatcher matcher) {
    if (!device.isActive()) {
      row.state = TrialDevice.SKIPPED;
      row.reason = "device is " + device.status.value();
      return List.of();
    }
    MatchDecision decision = matcher.decide(device);
    List<Variant> runnable = matcher.runnable(decision);
    if (runnable.isEmpty()) {
      row.state = TrialDevice.SKIPPED;
      row.reason = decision.reason();
      return List.of();
    }
    if (!links.isConnected(device.id)) {
      row.state = TrialDevice.OFFLINE;
      row.reason =
          "the device has no open stream to this server; start the trial again when it is connected";
      return List.of();
    }
    row.state = TrialDevice.SENT;
    return runnable;
  }

  private void send(Trial trial, Device device, List<Variant> runnable, Instant now) {
    TrialRequest.Builder request =
        TrialRequest.newBuilder().setTrialId(trial.id.toString()).setRuns(trial.runs);
    for (Variant variant : runnable) {
      TrialResult pending = new TrialResult();
      pending.id = UUID.randomUUID();
      pending.trialId = trial.id;
      pending.deviceId = device.id;
      pending.variant = variant;
      pending.hardwareClassId = device.hardwareClassId;
      pending.state = TrialResult.PENDING;
      pending.persist();
      request.addManifests(manifest(variant));
    }
    requested.fire(new TrialRequested(device.id, request.build()));
  }

  /** After commit, so the device finds its trial's artifacts fetchable when it asks for them. */
  void deliver(@Observes(during = TransactionPhase.AFTER_SUCCESS) TrialRequested event) {
    links.send(event.deviceId(), ServerMessage.newBuilder().setTrial(event.request()).build());
  }

  private static SignedEnvelope manifest(Variant variant) {
    try {
      return SignedEnvelope.parseFrom(variant.manifest);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(
          "stored manifest of variant " + variant.id + " is corrupt", e);
    }
  }
}
