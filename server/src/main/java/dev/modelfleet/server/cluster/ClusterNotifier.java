package dev.modelfleet.server.cluster;

import dev.modelfleet.server.assignment.DesiredStateChanged;
import dev.modelfleet.server.device.DeviceApproved;
import dev.modelfleet.server.device.DeviceDecommissioned;
import dev.modelfleet.server.device.DeviceRejected;
import dev.modelfleet.server.signing.RootPublished;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import jakarta.transaction.TransactionSynchronizationRegistry;
import java.sql.PreparedStatement;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.hibernate.Session;

/**
 * Tells every replica about a change, inside the transaction that makes it: PostgreSQL delivers a
 * NOTIFY only when that transaction commits (never when it rolls back), and in commit order, which
 * is exactly when a device may be told. Sending after commit instead would lose the notice whenever
 * this process died between the commit and the send.
 */
@ApplicationScoped
class ClusterNotifier {

  private static final Object ROLLOUTS_TOLD = new Object();

  private final TransactionSynchronizationRegistry transactions;

  ClusterNotifier(TransactionSynchronizationRegistry transactions) {
    this.transactions = transactions;
  }

  void desiredStateChanged(
      @Observes(during = TransactionPhase.IN_PROGRESS) DesiredStateChanged change) {
    notifyInTransaction(
        ClusterChannels.DESIRED_STATE,
        ClusterChannels.desiredStatePayload(change.deviceId(), change.generation()));
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
   * Once per rollout and transaction: a wave of 50 devices changes the rollout 50 times, and one
   * notice says all of it (identical notices of one transaction would be folded into one anyway,
   * but each would still cost a statement).
   */
  void rolloutChanged(@Observes(during = TransactionPhase.IN_PROGRESS) RolloutChangeNotice event) {
    @SuppressWarnings("unchecked")
    Set<UUID> told = (Set<UUID>) transactions.getResource(ROLLOUTS_TOLD);
    if (told == null) {
      told = new HashSet<>();
      transactions.putResource(ROLLOUTS_TOLD, told);
    }
    if (told.add(event.rolloutId())) {
      notifyInTransaction(ClusterChannels.ROLLOUT_CHANGED, event.rolloutId().toString());
    }
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
