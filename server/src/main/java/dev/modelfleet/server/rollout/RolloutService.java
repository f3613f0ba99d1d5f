package dev.modelfleet.server.rollout;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Page;
import dev.modelfleet.server.common.PageRequest;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.LabelSelector;
import dev.modelfleet.server.model.Model;
import dev.modelfleet.server.model.ModelService;
import dev.modelfleet.server.model.ModelVersion;
import dev.modelfleet.server.model.Variant;
import dev.modelfleet.server.quantization.SampleFiles;
import dev.modelfleet.server.rollout.RolloutRequests.CreateRollout;
import dev.modelfleet.server.rollout.RolloutViews.DeviceView;
import dev.modelfleet.server.rollout.RolloutViews.RolloutSummary;
import dev.modelfleet.server.rollout.RolloutViews.RolloutView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.LockModeType;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** What operators do with rollouts; every action locks the rollout row, as the engine does. */
@ApplicationScoped
public class RolloutService {

  private final RolloutStepper stepper;
  private final RolloutRollback rollback;
  private final RolloutSelection selection;
  private final Clock clock;
  private final SampleFiles sampleFiles;

  /** Largest validation set a device is sent: it holds the whole set in memory while shadowing. */
  static final long MAX_VALIDATION_SET_BYTES = 64L << 20;

  /**
   * The plan with its shadow validation set checked against the version's inputs (a 4xx when it
   * does not exist or does not fit) and its size recorded for the devices' desired states.
   */
  private RolloutPlan withValidationSet(RolloutPlan plan, ModelVersion version) {
    RolloutPlan.ShadowPhase phase = plan.shadow();
    if (phase == null || phase.validationSet() == null) {
      return plan;
    }
    List<Variant> variants = Variant.ofVersion(version);
    if (variants.isEmpty()) {
      return plan; // nothing a device could run: the version's own checks say so
    }
    long size = sampleFiles.requireFits(phase.validationSet(), variants.get(0).sha256);
    if (size > MAX_VALIDATION_SET_BYTES) {
      throw ApiError.INVALID_ROLLOUT_PLAN.exception(
          "shadow: the validation set is "
              + size
              + " bytes; devices are sent at most "
              + MAX_VALIDATION_SET_BYTES
              + ". Send a smaller set (a few hundred samples are enough evidence).");
    }
    return plan.withShadow(phase.withValidationSize(size));
  }

  RolloutService(
      RolloutStepper stepper,
      RolloutRollback rollback,
      RolloutSelection selection,
      SampleFiles sampleFiles,
      Clock clock) {
    this.sampleFiles = sampleFiles;
    this.stepper = stepper;
    this.rollback = rollback;
    this.selection = selection;
    this.clock = clock;
  }

  @Transactional
  public RolloutView create(CreateRollout request, String actor) {
    if (request.model() == null || request.version() == null) {
      throw ApiError.INVALID_REQUEST.exception("'model' and 'version' are required.");
    }
    if (request.selector() == null) {
      throw ApiError.INVALID_REQUEST.exception(
          "'selector' is required: a label selector such as \"site=berlin,tier!=lab\" (\"\" selects every device).");
    }
    LabelSelector.parse(request.selector());
    RolloutPlan plan = RolloutPlanParser.parse(request);
    ModelVersion version = ModelService.usableVersion(request.model(), request.version());
    ShadowApplicability.check(plan.shadow(), version);
    plan = withValidationSet(plan, version);
    List<Device> selected = selection.select(request.selector());
    if (selected.isEmpty()) {
      throw ApiError.EMPTY_SELECTION.exception(
          "The selector '"
              + request.selector()
              + "' matches no active device. Check the labels with GET /api/v1/devices?selector=...");
    }
    Instant now = clock.instant();
    if (request.startAt() != null && Boolean.TRUE.equals(request.start())) {
      throw ApiError.INVALID_REQUEST.exception("Give 'start': true or a 'startAt' time, not both.");
    }
    Rollout rollout = new Rollout();
    rollout.id = UUID.randomUUID();
    rollout.name =
        request.name() == null || request.name().isBlank()
            ? version.model.name + " " + version.version
            : request.name().strip();
    rollout.model = version.model;
    rollout.version = version;
    rollout.selector = request.selector();
    rollout.plan = plan;
    rollout.createdBy = actor;
    rollout.createdAt = now;
    rollout.nextEvalAt = now;
    rollout.state = RolloutState.CREATED;
    Optional<String> conflict = selection.describeConflict(rollout, selected);
    if (conflict.isPresent() && RolloutPlan.REFUSE.equals(plan.onConflict())) {
      throw ApiError.ROLLOUT_CONFLICT.exception("Refused: " + conflict.get() + ".");
    }
    if (request.startAt() != null && request.startAt().isAfter(now)) {
      rollout.state = RolloutState.SCHEDULED;
      rollout.startAt = request.startAt();
      rollout.nextEvalAt = request.startAt();
    }
    rollout.persist();
    RolloutEvent.record(
        rollout.id,
        now,
        actor,
        "created",
        null,
        selected.size()
            + " devices match '"
            + rollout.selector
            + "' now"
            + (rollout.startAt != null ? "; scheduled to start at " + rollout.startAt : ""));
    if (Boolean.TRUE.equals(request.start())
        || (request.startAt() != null && !request.startAt().isAfter(now))) {
      begin(rollout, actor);
    }
    return view(rollout);
  }

  @Transactional
  public Page<RolloutSummary> list(String state, String model, PageRequest page) {
    StringBuilder query = new StringBuilder("1 = 1");
    List<Object> params = new ArrayList<>();
    if (state != null && !state.isBlank()) {
      RolloutState wanted =
          RolloutState.parse(state)
              .orElseThrow(
                  () ->
                      ApiError.INVALID_REQUEST.exception(
                          "Unknown state '"
                              + state
                              + "'; use one of "
                              + List.of(RolloutState.values()).stream()
                                  .map(RolloutState::value)
                                  .toList()
                              + "."));
      params.add(wanted);
      query.append(" and state = ?").append(params.size());
    }
    if (model != null && !model.isBlank()) {
      Model m =
          Model.findByName(model)
              .orElseThrow(() -> ApiError.NOT_FOUND.exception("No model named '" + model + "'."));
      params.add(m);
      query.append(" and model = ?").append(params.size());
    }
    // newest first: the key descends
    return page.fill(
            new Class<?>[] {Instant.class, UUID.class},
            (after, count) -> {
              List<Object> bound = new ArrayList<>(params);
              String where = query.toString();
              if (after != null) {
                bound.addAll(after);
                where +=
                    " and (createdAt, id) < (?" + (bound.size() - 1) + ", ?" + bound.size() + ")";
              }
              return Rollout.<Rollout>find(
                      where + " order by createdAt desc, id desc", bound.toArray())
                  .range(0, count - 1)
                  .list();
            },
            r -> List.of(r.createdAt, r.id),
            null)
        .map(RolloutSummary::of);
  }

  @Transactional
  public RolloutView get(UUID id) {
    return view(find(id, false));
  }

  /**
   * The rollout's state and device counts, as {@link #get} has them, without the devices with
   * problems and the events: for pages that show many rollouts' bars.
   */
  @Transactional
  public RolloutView counts(UUID id) {
    return RolloutViews.of(find(id, false), stepper.offlineSince(), false);
  }

  /** The rollout as GET shows it, or empty for an unknown id. */
  @Transactional
  public Optional<RolloutView> find(UUID id) {
    Rollout rollout = Rollout.findById(id);
    return rollout == null ? Optional.empty() : Optional.of(view(rollout));
  }

  /**
   * A page of the rollout's devices with their state, by wave then device id; {@code state} filters
   * (e.g. "failed"). The state is worked out from what each device reported, so the filter applies
   * to the rows read, which are read a chunk at a time.
   */
  @Transactional
  public Page<DeviceView> devices(UUID id, String state, PageRequest page) {
    Rollout rollout = find(id, false);
    Instant offlineSince = stepper.offlineSince();
    String version = rollout.version.version;
    boolean filtered = state != null && !state.isBlank();
    return page.fill(
        new Class<?>[] {Integer.class, UUID.class},
        (after, count) ->
            RolloutProgressQuery.page(rollout.id, rollout.model.name, version, after, count)
                .stream()
                .map(d -> DeviceView.of(d, version, offlineSince))
                .toList(),
        d -> List.of(d.wave(), d.deviceId()),
        filtered ? d -> d.state().equals(state) : null);
  }

  @Transactional
  public RolloutView start(UUID id, String actor) {
    Rollout rollout = find(id, true);
    require(
        rollout,
        "start",
        Set.of(RolloutState.CREATED, RolloutState.SCHEDULED),
        "a rollout starts once, from 'created' or 'scheduled'");
    begin(rollout, actor);
    return view(rollout);
  }

  @Transactional
  public RolloutView pause(UUID id, String actor, String reason) {
    Rollout rollout = find(id, true);
    require(rollout, "pause", Set.of(RolloutState.RUNNING), "only a running rollout can pause");
    stepper.pause(
        rollout, actor, reason == null || reason.isBlank() ? "paused by an operator" : reason);
    return view(rollout);
  }

  /**
   * Continues a paused rollout. The failures that made it pause are accepted: the failure threshold
   * counts only failures from here on.
   */
  @Transactional
  public RolloutView resume(UUID id, String actor) {
    Rollout rollout = find(id, true);
    require(rollout, "resume", Set.of(RolloutState.PAUSED), "only a paused rollout can resume");
    Instant now = clock.instant();
    if (rollout.startedAt == null) {
      rollout.state = RolloutState.SCHEDULED;
      rollout.startAt = now;
      rollout.nextEvalAt = now;
      RolloutEvent.record(rollout.id, now, actor, "resumed", null, "start retried");
      return view(rollout);
    }
    RolloutProgress progress = RolloutProgress.load(rollout, stepper.offlineSince());
    int accepted = 0;
    for (RolloutWave wave : RolloutWave.of(rollout.id)) {
      if (wave.isStarted()) {
        WaveStats stats = progress.wave(wave.waveIndex);
        accepted += Math.max(0, stats.failed() - wave.acceptedFailures);
        wave.acceptedFailures = Math.max(wave.acceptedFailures, stats.failed());
      }
    }
    rollout.state = RolloutState.RUNNING;
    rollout.stateReason = null;
    rollout.nextEvalAt = now;
    RolloutEvent.record(
        rollout.id,
        now,
        actor,
        "resumed",
        rollout.currentWave,
        accepted == 0
            ? "no failures to accept"
            : accepted
                + " failed devices accepted; the failure"
                + " threshold counts new failures only");
    return view(rollout);
  }

  /** Stops the rollout where it is: devices keep what they have, no further wave starts. */
  @Transactional
  public RolloutView abort(UUID id, String actor, String reason) {
    Rollout rollout = find(id, true);
    require(
        rollout,
        "abort",
        Set.of(
            RolloutState.CREATED,
            RolloutState.SCHEDULED,
            RolloutState.QUEUED,
            RolloutState.RUNNING,
            RolloutState.PAUSED),
        "a finished rollout cannot be aborted");
    Instant now = clock.instant();
    rollout.state = RolloutState.ABORTED;
    rollout.stateReason = reason == null || reason.isBlank() ? "aborted by an operator" : reason;
    rollout.finishedAt = now;
    selection.release(rollout);
    stepper.stopShadows(rollout);
    RolloutEvent.record(
        rollout.id, now, actor, "aborted", rollout.currentWave, rollout.stateReason);
    return view(rollout);
  }

  @Transactional
  public RolloutView rollBack(UUID id, String actor, String reason) {
    Rollout rollout = find(id, true);
    require(
        rollout,
        "roll back",
        Set.of(
            RolloutState.RUNNING,
            RolloutState.PAUSED,
            RolloutState.COMPLETED,
            RolloutState.ABORTED),
        "only a rollout that changed devices can roll back");
    if (rollout.startedAt == null) {
      throw ApiError.ILLEGAL_STATE.exception(
          "Rollout "
              + id
              + " never started, so it changed no"
              + " device and there is nothing to roll back.");
    }
    stepper.stopShadows(rollout);
    rollback.rollBack(
        rollout, actor, reason == null || reason.isBlank() ? "rolled back by an operator" : reason);
    return view(rollout);
  }

  /** Lets the wave that waits for approval start. */
  @Transactional
  public RolloutView approve(UUID id, String actor) {
    Rollout rollout = find(id, true);
    require(
        rollout,
        "approve",
        Set.of(RolloutState.RUNNING, RolloutState.PAUSED),
        "approval applies to a running or paused rollout");
    RolloutWave wave = RolloutWave.findById(new RolloutWave.Key(rollout.id, rollout.currentWave));
    if (wave == null || !RolloutWave.AWAITING_APPROVAL.equals(wave.state)) {
      throw ApiError.ILLEGAL_STATE.exception(
          "No wave of rollout "
              + id
              + " is waiting for approval"
              + " (wave "
              + (rollout.currentWave + 1)
              + " is "
              + (wave == null ? "not planned" : wave.state)
              + "). Approve when GET shows a wave in 'awaiting_approval'.");
    }
    Instant now = clock.instant();
    wave.approvedAt = now;
    wave.approvedBy = actor;
    rollout.nextEvalAt = now;
    RolloutEvent.record(
        rollout.id,
        now,
        actor,
        "approved",
        wave.waveIndex,
        "wave " + (wave.waveIndex + 1) + " approved");
    return view(rollout);
  }

  private void begin(Rollout rollout, String actor) {
    try {
      stepper.start(rollout, actor);
    } catch (RolloutStepper.RolloutConflict conflict) {
      if (!RolloutPlan.QUEUE.equals(rollout.plan.onConflict())) {
        throw ApiError.ROLLOUT_CONFLICT.exception("Cannot start: " + conflict.getMessage() + ".");
      }
      rollout.state = RolloutState.QUEUED;
      rollout.stateReason = conflict.getMessage();
      rollout.nextEvalAt = clock.instant();
      RolloutEvent.record(
          rollout.id, clock.instant(), actor, "queued", null, conflict.getMessage());
    }
  }

  private static void require(
      Rollout rollout, String action, Set<RolloutState> allowed, String rule) {
    if (!allowed.contains(rollout.state)) {
      throw ApiError.ILLEGAL_STATE.exception(
          "Cannot "
              + action
              + " rollout "
              + rollout.id
              + ": it is "
              + rollout.state.value()
              + " and "
              + rule
              + ".");
    }
  }

  private static Rollout find(UUID id, boolean lock) {
    Rollout rollout =
        lock ? Rollout.findById(id, LockModeType.PESSIMISTIC_WRITE) : Rollout.findById(id);
    if (rollout == null) {
      throw ApiError.NOT_FOUND.exception("No rollout with id '" + id + "'.");
    }
    return rollout;
  }

  private RolloutView view(Rollout r) {
    return RolloutViews.of(r, stepper.offlineSince());
  }
}
