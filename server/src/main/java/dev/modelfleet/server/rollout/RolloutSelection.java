package dev.modelfleet.server.rollout;

import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceService;
import dev.modelfleet.server.device.LabelSelector;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.persistence.PersistenceException;
import jakarta.transaction.Transactional;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Which devices a rollout selects and holds, in which wave, and the rule that one rollout per model
 * holds a device at a time. The rule lives in the database too (a partial unique index on
 * rollout_devices), so two replicas starting overlapping rollouts at the same instant cannot both
 * win.
 */
@ApplicationScoped
class RolloutSelection {

  private final DeviceService devices;

  RolloutSelection(DeviceService devices) {
    this.devices = devices;
  }

  @Transactional(Transactional.TxType.MANDATORY)
  List<Device> select(String selector) {
    return devices.find(selector, "active");
  }

  /** Ids of other rollouts of the model holding any device the rollout would select now. */
  @Transactional(Transactional.TxType.MANDATORY)
  List<UUID> conflicts(Rollout rollout) {
    return holders(rollout, ids(select(rollout.selector)));
  }

  /**
   * A sentence naming the rollouts of the same model that hold, or would take when they start, some
   * of {@code selected}; empty when none does.
   */
  @Transactional(Transactional.TxType.MANDATORY)
  Optional<String> describeConflict(Rollout rollout, Collection<Device> selected) {
    Set<UUID> ids = ids(selected);
    List<String> clashes = new ArrayList<>();
    for (UUID holder : holders(rollout, ids)) {
      Rollout other = Rollout.findById(holder);
      clashes.add("'" + other.name + "' (" + other.id + ", " + other.state.value() + ")");
    }
    if (RolloutState.PENDING_START.contains(rollout.state)) {
      // rollouts not started yet hold nothing, but will take what their selector matches
      List<Rollout> waiting =
          Rollout.list(
              "model = ?1 and state in ?2 and id <> ?3 and createdAt < ?4",
              rollout.model,
              List.of(RolloutState.QUEUED),
              rollout.id,
              rollout.createdAt);
      for (Rollout other : waiting) {
        LabelSelector theirs = LabelSelector.parse(other.selector);
        if (selected.stream().anyMatch(d -> theirs.test(d.labels))) {
          clashes.add("'" + other.name + "' (" + other.id + ", queued before this one)");
        }
      }
    }
    if (clashes.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "some selected devices belong to another rollout of model '"
            + rollout.model.name
            + "': "
            + String.join(", ", clashes)
            + ". Wait for it to finish, abort it, or create this rollout with \"onConflict\": \"queue\"");
  }

  /** Devices matching the selector now that the rollout does not have and no other holds. */
  @Transactional(Transactional.TxType.MANDATORY)
  List<Device> newcomers(Rollout rollout) {
    @SuppressWarnings("unchecked")
    Set<UUID> taken =
        new HashSet<>(
            Panache.getEntityManager()
                .createNativeQuery(
                    "select device_id from rollout_devices where (rollout_id = ?1)"
                        + " or (model_id = ?2 and not released)")
                .setParameter(1, rollout.id)
                .setParameter(2, rollout.model.id)
                .getResultList());
    return select(rollout.selector).stream().filter(d -> !taken.contains(d.id)).toList();
  }

  /**
   * Makes the selected devices the rollout's members, placed into its waves ({@link WavePlanner}: a
   * stable hash order, a canary of each hardware class first), with one row per wave; returns how
   * many devices each wave got.
   *
   * @throws RolloutStepper.RolloutConflict when another rollout took some of them meanwhile
   */
  @Transactional(Transactional.TxType.MANDATORY)
  int[] placeInWaves(Rollout rollout, List<WavePlanner.Candidate> candidates) {
    int[] planned = new int[rollout.plan.waves().size()];
    for (WavePlanner.Placement p :
        WavePlanner.place(rollout.id, candidates, rollout.plan.waves())) {
      addMember(rollout, p.deviceId(), p.wave(), p.hardwareClassId());
      planned[p.wave()]++;
    }
    for (int i = 0; i < planned.length; i++) {
      RolloutWave wave = new RolloutWave();
      wave.rolloutId = rollout.id;
      wave.waveIndex = i;
      wave.planned = planned[i];
      wave.state = RolloutWave.WAITING;
      wave.persist();
    }
    flushMembership(rollout);
    return planned;
  }

  /**
   * Adds the {@link #newcomers} to wave {@code waveIndex}: devices that match the selector now but
   * did not when the rollout started. Returns them (none, mostly).
   */
  @Transactional(Transactional.TxType.MANDATORY)
  List<Device> joinLate(Rollout rollout, int waveIndex) {
    List<Device> joining = newcomers(rollout);
    if (!joining.isEmpty()) {
      joining.forEach(d -> addMember(rollout, d.id, waveIndex, d.hardwareClassId));
      flushMembership(rollout);
    }
    return joining;
  }

  private static void addMember(
      Rollout rollout, UUID deviceId, int waveIndex, String hardwareClassId) {
    RolloutDevice member = new RolloutDevice();
    member.rolloutId = rollout.id;
    member.deviceId = deviceId;
    member.modelId = rollout.model.id;
    member.waveIndex = waveIndex;
    member.hardwareClassId = hardwareClassId;
    member.persist();
  }

  /**
   * Writes new members now, so that a device another replica's rollout took a moment ago shows up
   * here as a conflict rather than as an error at commit.
   */
  void flushMembership(Rollout rollout) {
    try {
      Panache.getEntityManager().flush();
    } catch (PersistenceException e) {
      throw new RolloutStepper.RolloutConflict(
          "another rollout of model '"
              + rollout.model.name
              + "' took some of the selected devices at the same moment; retry");
    }
  }

  /** The rollout is over: its devices are free for the next rollout of the model. */
  void release(Rollout rollout) {
    Panache.getEntityManager()
        .createNativeQuery(
            "update rollout_devices set released = true where rollout_id = ?1 and not released")
        .setParameter(1, rollout.id)
        .executeUpdate();
  }

  private List<UUID> holders(Rollout rollout, Set<UUID> deviceIds) {
    if (deviceIds.isEmpty()) {
      return List.of();
    }
    @SuppressWarnings("unchecked")
    List<UUID> holders =
        Panache.getEntityManager()
            .createNativeQuery(
                "select distinct rollout_id from rollout_devices"
                    + " where model_id = ?1 and not released and rollout_id <> ?2 and device_id = any(?3)")
            .setParameter(1, rollout.model.id)
            .setParameter(2, rollout.id)
            .setParameter(3, deviceIds.toArray(new UUID[0]))
            .getResultList();
    return holders;
  }

  private static Set<UUID> ids(Collection<Device> devices) {
    Set<UUID> ids = new HashSet<>();
    devices.forEach(d -> ids.add(d.id));
    return ids;
  }
}
