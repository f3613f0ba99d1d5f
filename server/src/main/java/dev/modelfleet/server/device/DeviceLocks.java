package dev.modelfleet.server.device;

import dev.modelfleet.server.common.ApiError;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.persistence.EntityManager;
import jakarta.persistence.LockModeType;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/**
 * The server's locking rule, in one place: <b>a transaction that changes what a device runs or is
 * (its status, its desired models and desired state, its deployment status and history) first locks
 * the device's row, here, and only then reads what it changes and writes the device's other rows.
 * </b> Assignment, rollback, a rollout wave, re-issuing desired states, a progress report,
 * decommissioning, approval and rejection all do; the feature that owns the other rows then goes on
 * under that lock.
 *
 * <p>Why: writers of one device queue up on one row instead of overwriting each other
 * (desired-state generations only grow; a decommissioning committed meanwhile is seen, not undone),
 * and every writer takes the device row before the rows that hang off it, so two of them never wait
 * on each other in opposite orders. A transaction that changes many devices locks them one after
 * another and, where it can, in one stable order (re-issuing goes by device id).
 *
 * <p>Not under this rule: the heartbeat flush (one statement per table for thousands of devices)
 * takes device rows with {@code SKIP LOCKED} and leaves a locked device for its next round, so it
 * never waits, and a rollout telling a batch of members skips a busy one for its next batch ({@link
 * #lockAllFree}); rows that are only appended for a device (trial results, provider mismatches,
 * certificates) need no lock. See docs/architecture.md, "Locking".
 */
public final class DeviceLocks {

  private DeviceLocks() {}

  /**
   * Locks the device's row until the transaction ends and returns the device as it is under the
   * lock.
   *
   * @throws dev.modelfleet.server.common.ApiException not-found when there is no such device
   */
  public static Device lock(UUID deviceId) {
    Device device = Device.findById(deviceId, LockModeType.PESSIMISTIC_WRITE);
    if (device == null) {
      throw ApiError.NOT_FOUND.exception("No device with id '" + deviceId + "'.");
    }
    // a device loaded earlier in this transaction (by a selector, say) keeps its old state
    // through the lock; read what the lock protects, e.g. a decommissioning committed meanwhile
    Panache.getEntityManager().refresh(device);
    return device;
  }

  /**
   * Locks many devices' rows in one statement, in the one stable order (by id), and returns those
   * that exist as they are under the lock, in that order. One round trip instead of two per device:
   * a rollout tells its devices 50 at a time, and at 50,000 devices the per-device locking was a
   * good part of the engine's time.
   */
  public static List<Device> lockAll(Collection<UUID> deviceIds) {
    if (deviceIds.isEmpty()) {
      return List.of();
    }
    EntityManager em = Panache.getEntityManager();
    // a device loaded earlier in this transaction would come back as it was then, not as the lock
    // sees it (the query does not overwrite a managed instance): let go of any such copy first
    for (UUID id : deviceIds) {
      Device loaded = em.getReference(Device.class, id);
      if (em.contains(loaded)) {
        em.detach(loaded);
      }
    }
    return em.createQuery("select d from Device d where d.id in ?1 order by d.id", Device.class)
        .setParameter(1, deviceIds)
        .setLockMode(LockModeType.PESSIMISTIC_WRITE)
        .getResultList();
  }

  /**
   * The devices {@link #lockAllFree} locked, and those it left because another transaction held
   * them at that moment.
   */
  public record Taken(List<Device> locked, java.util.Set<UUID> busy) {}

  /**
   * As {@link #lockAll}, but a device whose row another transaction holds now is left out and named
   * in {@code busy} instead of waited for. For a writer that can come back for it later: a rollout
   * telling its devices a batch at a time waited hundreds of milliseconds per batch at 50,000
   * devices behind heartbeat flushes, each of which holds thousands of device rows until it
   * commits. A device that does not exist is in neither list.
   */
  public static Taken lockAllFree(Collection<UUID> deviceIds) {
    if (deviceIds.isEmpty()) {
      return new Taken(List.of(), java.util.Set.of());
    }
    EntityManager em = Panache.getEntityManager();
    @SuppressWarnings("unchecked")
    List<UUID> free =
        em.createNativeQuery(
                "select id from devices where id in ?1 order by id for no key update skip locked",
                UUID.class)
            .setParameter(1, deviceIds)
            .getResultList();
    java.util.Set<UUID> busy = new java.util.HashSet<>(deviceIds);
    free.forEach(busy::remove);
    if (!busy.isEmpty()) {
      // not locked: held by another transaction, or gone
      @SuppressWarnings("unchecked")
      List<UUID> existing =
          em.createNativeQuery("select id from devices where id in ?1", UUID.class)
              .setParameter(1, busy)
              .getResultList();
      busy.retainAll(existing);
    }
    // the rows are this transaction's now, so reading them under no further lock sees them as
    // the lock does
    return new Taken(lockAll(free), busy);
  }

  /**
   * Locks the device's row until the transaction ends without loading the device: for a writer that
   * needs the lock but not the device (a progress report, many per device in a rollout). A loaded
   * device costs its JSON columns parsed and copied for dirty checking, twice with the re-read
   * {@link #lock} does.
   *
   * @throws dev.modelfleet.server.common.ApiException not-found when there is no such device
   */
  /**
   * Locks many devices' rows without loading them, in id order, in one statement; returns the ids
   * of those that exist. For a batch of progress reports, which change rows that hang off devices
   * but not the devices themselves. NO KEY UPDATE, as {@link #lock} takes through Hibernate:
   * writers of a device still queue on each other, but a row inserted meanwhile that refers to the
   * device (a rollout's member, a history line) does not wait for the batch; with FOR UPDATE it
   * did, and a batch waiting for one busy device held up a rollout's start on all the others it had
   * locked.
   */
  @SuppressWarnings("unchecked")
  public static java.util.Set<UUID> lockRows(Collection<UUID> deviceIds) {
    if (deviceIds.isEmpty()) {
      return java.util.Set.of();
    }
    List<UUID> locked =
        Panache.getEntityManager()
            .createNativeQuery(
                "select id from devices where id in ?1 order by id for no key update", UUID.class)
            .setParameter(1, deviceIds)
            .getResultList();
    return new java.util.HashSet<>(locked);
  }

  public static void lockRow(UUID deviceId) {
    List<?> locked =
        Panache.getEntityManager()
            .createNativeQuery("select 1 from devices where id = ?1 for no key update")
            .setParameter(1, deviceId)
            .getResultList();
    if (locked.isEmpty()) {
      throw ApiError.NOT_FOUND.exception("No device with id '" + deviceId + "'.");
    }
  }
}
