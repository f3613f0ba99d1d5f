package dev.modelfleet.server.rollout;

import dev.modelfleet.server.assignment.DeploymentProgressed;
import dev.modelfleet.server.assignment.DeploymentsProgressed;
import dev.modelfleet.server.cluster.RolloutChangeNotice;
import io.quarkus.arc.Arc;
import io.quarkus.arc.ArcContainer;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.hibernate.Session;

/**
 * Announces, inside the transaction that makes it, every change a rollout's watchers would see: the
 * rollout's own state and events, a device told or judged, and a device's report for the rollout's
 * model. The cluster feature turns the announcements of a tenth of a second, once committed, into
 * one NOTIFY that every replica hears ({@link RolloutFeed} then reads the rollout once per
 * replica).
 */
@ApplicationScoped
class RolloutChanges {

  /**
   * Rollouts the devices belong to for these models (at most one unreleased one per device and
   * model), for a batch of reports given as two arrays of the same length.
   */
  private static final String ROLLOUTS_OF_DEVICES =
      """
      select distinct rd.rollout_id
        from unnest(?::uuid[], ?::text[]) as r(device_id, model)
        join rollout_devices rd on rd.device_id = r.device_id and not rd.released
        join models m on m.id = rd.model_id and m.name = r.model
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

  void devicesReported(
      @Observes(during = TransactionPhase.IN_PROGRESS) DeploymentsProgressed reports) {
    List<DeploymentProgressed> changes = reports.changes();
    Object[] devices = changes.stream().map(DeploymentProgressed::deviceId).toArray();
    Object[] models = changes.stream().map(DeploymentProgressed::model).toArray();
    List<UUID> rollouts = new ArrayList<>();
    // plain JDBC: the arrays bind as SQL arrays, one statement for the whole batch
    Panache.getEntityManager()
        .unwrap(Session.class)
        .doWork(
            connection -> {
              try (PreparedStatement query = connection.prepareStatement(ROLLOUTS_OF_DEVICES)) {
                query.setArray(1, connection.createArrayOf("uuid", devices));
                query.setArray(2, connection.createArrayOf("text", models));
                try (ResultSet rows = query.executeQuery()) {
                  while (rows.next()) {
                    rollouts.add(rows.getObject(1, UUID.class));
                  }
                }
              }
            });
    rollouts.forEach(RolloutChanges::touched);
  }
}
