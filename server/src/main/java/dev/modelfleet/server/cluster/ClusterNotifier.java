package dev.modelfleet.server.cluster;

import dev.modelfleet.server.assignment.DesiredStatesPublished;
import dev.modelfleet.server.device.DeviceApproved;
import dev.modelfleet.server.device.DeviceDecommissioned;
import dev.modelfleet.server.device.DeviceRejected;
import dev.modelfleet.server.signing.RootPublished;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.sql.PreparedStatement;
import org.hibernate.Session;

/**
 * Tells every replica about a change, inside the transaction that makes it (rollout changes
 * excepted, see {@link RolloutNoticeSender}): PostgreSQL delivers a NOTIFY only when that
 * transaction commits (never when it rolls back), and in commit order, which is exactly when a
 * device may be told. Sending after commit instead would lose the notice whenever this process died
 * between the commit and the send.
 */
@ApplicationScoped
class ClusterNotifier {

  private final RolloutNoticeSender rolloutNotices;

  ClusterNotifier(RolloutNoticeSender rolloutNotices) {
    this.rolloutNotices = rolloutNotices;
  }

  /** One statement for a batch: a rollout step publishes 50 devices' states at once. */
  void desiredStatesPublished(
      @Observes(during = TransactionPhase.IN_PROGRESS) DesiredStatesPublished batch) {
    if (batch.changes().isEmpty()) {
      return;
    }
    String[] payloads =
        batch.changes().stream()
            .map(c -> ClusterChannels.desiredStatePayload(c.deviceId(), c.generation()))
            .toArray(String[]::new);
    Panache.getEntityManager()
        .unwrap(Session.class)
        .doWork(
            connection -> {
              try (PreparedStatement notify =
                  connection.prepareStatement(
                      "select count(pg_notify(?, payload)) from unnest(?::text[]) as payload")) {
                notify.setString(1, ClusterChannels.DESIRED_STATE);
                notify.setArray(2, connection.createArrayOf("text", payloads));
                notify.execute();
              }
            });
  }

  void decommissioned(@Observes(during = TransactionPhase.IN_PROGRESS) DeviceDecommissioned event) {
    notifyInTransaction(ClusterChannels.DECOMMISSIONED, event.deviceId().toString());
  }

  void approved(@Observes(during = TransactionPhase.IN_PROGRESS) DeviceApproved event) {
    notifyInTransaction(ClusterChannels.APPROVED, event.deviceId().toString());
  }

  void rejected(@Observes(during = TransactionPhase.IN_PROGRESS) DeviceRejected event) {
    notifyInTransaction(ClusterChannels.REJECTED, event.deviceId().toString());
  }

  /**
   * Once the change committed, and batched: see {@link RolloutNoticeSender} for why rollout notices
   * do not go inside the transaction as the others do.
   */
  void rolloutChanged(
      @Observes(during = TransactionPhase.AFTER_SUCCESS) RolloutChangeNotice event) {
    rolloutNotices.changed(event.rolloutId());
  }

  /** After the manifests and desired states the root version makes necessary were re-signed. */
  void rootPublished(@Observes @Priority(RootPublished.REPLICAS) RootPublished event) {
    notifyInTransaction(ClusterChannels.ROOT_METADATA, Long.toString(event.version()));
  }

  private static void notifyInTransaction(String channel, String payload) {
    Panache.getEntityManager()
        .unwrap(Session.class)
        .doWork(
            connection -> {
              try (PreparedStatement notify =
                  connection.prepareStatement("select pg_notify(?, ?)")) {
                notify.setString(1, channel);
                notify.setString(2, payload);
                notify.execute();
              }
            });
  }
}
