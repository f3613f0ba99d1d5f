package dev.modelfleet.server.trial;

import dev.modelfleet.protocol.agent.v1.TrialReport;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Page;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.common.StoredText;
import dev.modelfleet.server.matching.ProviderMismatchService;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.trial.TrialViews.DeviceView;
import dev.modelfleet.server.trial.TrialViews.ResultView;
import dev.modelfleet.server.trial.TrialViews.TrialView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/** What devices report about trials, and how a trial stands for operators. */
@ApplicationScoped
public class TrialReports {

  private static final Logger LOG = Logger.getLogger(TrialReports.class);

  private final ProviderMismatchService mismatches;
  private final Clock clock;

  TrialReports(ProviderMismatchService mismatches, Clock clock) {
    this.mismatches = mismatches;
    this.clock = clock;
  }

  /**
   * Stores a device's figures. A report for a trial the device was not sent, or for a variant it
   * was not asked to time, is ignored: it is an agent bug, not worth closing its stream.
   */
  @Transactional
  public void record(UUID deviceId, TrialReport report) {
    Optional<TrialDevice> asked =
        parse(report.getTrialId())
            .flatMap(
                id ->
                    TrialDevice.<TrialDevice>find("trialId = ?1 and deviceId = ?2", id, deviceId)
                        .firstResultOptional());
    if (asked.isEmpty() || !TrialDevice.SENT.equals(asked.get().state)) {
      LOG.warnf(
          "device %s reported trial '%s' it has no open request for; ignored",
          deviceId, report.getTrialId());
      return;
    }
    Instant now = clock.instant();
    Map<UUID, TrialResult> pending =
        TrialResult.<TrialResult>list(
                "trialId = ?1 and deviceId = ?2", asked.get().trialId, deviceId)
            .stream()
            .collect(Collectors.toMap(r -> r.variant.id, r -> r));
    for (var reported : report.getResultsList()) {
      TrialResult row = parse(reported.getVariantId()).map(pending::get).orElse(null);
      if (row == null || !TrialResult.PENDING.equals(row.state)) {
        continue;
      }
      boolean failed = !reported.getError().isEmpty();
      row.state = failed ? TrialResult.FAILED : TrialResult.MEASURED;
      row.loadMs = reported.getLoadMs();
      row.runs = reported.getRuns();
      row.p50Ms = failed ? null : reported.getP50Ms();
      row.p95Ms = failed ? null : reported.getP95Ms();
      row.peakMemoryBytes = reported.getPeakMemoryBytes();
      row.executionProviderUsed =
          emptyToNull(
              StoredText.bounded(reported.getExecutionProviderUsed(), StoredText.NAME_LENGTH));
      row.error = emptyToNull(StoredText.bounded(reported.getError(), StoredText.REASON_LENGTH));
      row.reasonCode =
          emptyToNull(StoredText.bounded(reported.getReasonCode(), StoredText.NAME_LENGTH));
      row.reportedAt = now;
      if (!failed) {
        mismatches.recordIfDifferent(
            deviceId, row.variant, reported.getExecutionProviderUsed(), "trial");
      }
    }
    for (TrialResult row : pending.values()) {
      if (TrialResult.PENDING.equals(row.state)) {
        row.state = TrialResult.FAILED;
        row.error = "the device's trial report did not include this variant";
        row.reasonCode = "not-reported";
        row.reportedAt = now;
      }
    }
    asked.get().state = TrialDevice.REPORTED;
    asked.get().updatedAt = now;
  }

  @Transactional
  public TrialView get(UUID id) {
    Trial trial = Trial.findById(id);
    if (trial == null) {
      throw ApiError.NOT_FOUND.exception("No trial with id '" + id + "'.");
    }
    return view(trial);
  }

  @Transactional
  public Page<TrialView> ofVersion(ModelVersion version, PageRequest page) {
    return page.fill(
            new Class<?>[] {Instant.class, UUID.class},
            (after, count) ->
                (after == null
                        ? Trial.<Trial>find("version = ?1 order by requestedAt, id", version)
                        : Trial.<Trial>find(
                            "version = ?1 and (requestedAt, id) > (?2, ?3)"
                                + " order by requestedAt, id",
                            version,
                            after.get(0),
                            after.get(1)))
                    .range(0, count - 1)
                    .list(),
            t -> List.of(t.requestedAt, t.id),
            null)
        .map(this::view);
  }

  TrialView view(Trial trial) {
    Map<UUID, List<ResultView>> results =
        TrialResult.<TrialResult>list("trialId = ?1 order by variant.createdAt", trial.id).stream()
            .collect(
                Collectors.groupingBy(
                    r -> r.deviceId, Collectors.mapping(ResultView::of, Collectors.toList())));
    List<TrialDevice> devices =
        TrialDevice.list("trialId = ?1 order by updatedAt, deviceId", trial.id);
    List<DeviceView> deviceViews =
        devices.stream()
            .map(
                d ->
                    new DeviceView(
                        d.deviceId,
                        d.hardwareClassId,
                        d.state,
                        d.reason,
                        d.updatedAt,
                        results.getOrDefault(d.deviceId, List.of())))
            .toList();
    boolean running = devices.stream().anyMatch(d -> TrialDevice.SENT.equals(d.state));
    return new TrialView(
        trial.id,
        trial.version.model.name,
        trial.version.version,
        trial.runs,
        trial.requestedAt,
        running ? "running" : "complete",
        deviceViews);
  }

  private static Optional<UUID> parse(String id) {
    try {
      return Optional.of(UUID.fromString(id));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }
}
