package dev.modelfleet.server.rollout;

import dev.modelfleet.server.assignment.DeploymentProgressed;
import dev.modelfleet.server.cluster.RolloutChangeNotice;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ArcContainer;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.util.List;
import java.util.UUID;

/**
 * Announces, inside the transaction that makes it, every change a rollout's watchers would see: the
 * rollout's own state and events, a device told or judged, and a device's report for the rollout's
 * model. The cluster feature turns the announcements of a tenth of a second, once committed, into
 * one NOTIFY that every replica hears ({@link RolloutFeed} then reads the rollout once per
 * replica).
 */
@ApplicationScoped
class RolloutChanges {

  /** Rollouts the device belongs to for this model (at most one unreleased one per model). */
  private static final String ROLLOUTS_OF_DEVICE =
      """
      select rd.rollout_id from rollout_devices rd join models m on m.id = rd.model_id
       where rd.device_id = ?1 and m.name = ?2 and not rd.released
      """;

  /**
   * The event handle, kept: one made per call resolves the observers again at every fire, which was
   * a tenth of the server's CPU in a 5,000-device rollout (a fire per device report). Bound to the
   * container it came from, as a test run may start another.
   */
  private static volatile Notices notices;

  private record Notices(ArcContainer container, Event<RolloutChangeNotice> event) {}

  /** The rollout changed in the current transaction. */
  static void touched(UUID rolloutId) {
    ArcContainer container = Arc.container();
    Notices current = notices;
    if (current == null || current.container() != container) {
      current =
          new Notices(
              container, container.beanManager().getEvent().select(RolloutChangeNotice.class));
      notices = current;
    }
    current.event().fire(new RolloutChangeNotice(rolloutId));
  }

  void deviceReported(
      @Observes(during = TransactionPhase.IN_PROGRESS) DeploymentProgressed report) {
    @SuppressWarnings("unchecked")
    List<UUID> rollouts =
        Panache.getEntityManager()
            .createNativeQuery(ROLLOUTS_OF_DEVICE)
            .setParameter(1, report.deviceId())
            .setParameter(2, report.model())
            .getResultList();
    rollouts.forEach(RolloutChanges::touched);
  }
}
