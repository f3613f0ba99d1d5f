package dev.modelfleet.server.cluster;

import io.agroal.api.AgroalDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Sends the notices that a rollout changed, for every replica's watchers, a tenth of a second after
 * the changes committed, one statement for all rollouts changed meanwhile.
 *
 * <p>Not inside each change's own transaction, as device notices are: PostgreSQL serializes the
 * commits of transactions that NOTIFY (each holds the notification queue's lock through its WAL
 * flush), and a rollout changes with every device report, so a rollout to thousands of devices had
 * its reports committing one at a time (46 devices/s). A watcher needs no more than "look again": a
 * notice lost with a crashed replica is made good by the next change, and a replica's listener
 * looks again at every rollout when it reconnects.
 */
@ApplicationScoped
class RolloutNoticeSender {

  private static final Logger LOG = Logger.getLogger(RolloutNoticeSender.class);
  private static final long FLUSH_MS = 100;
  private static final String NOTIFY =
      "select pg_notify(?, id) from unnest(?::text[]) as changed(id)";

  private final AgroalDataSource dataSource;
  private final Set<UUID> pending = ConcurrentHashMap.newKeySet();
  private ScheduledExecutorService flusher;

  RolloutNoticeSender(AgroalDataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** A change to the rollout committed. */
  void changed(UUID rolloutId) {
    pending.add(rolloutId);
  }

  void start(@Observes StartupEvent started) {
    flusher =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, "rollout-notices");
              thread.setDaemon(true);
              return thread;
            });
    flusher.scheduleWithFixedDelay(this::flush, FLUSH_MS, FLUSH_MS, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent stopping) throws InterruptedException {
    if (flusher != null) {
      flusher.shutdown();
      flusher.awaitTermination(2, TimeUnit.SECONDS);
      flush();
    }
  }

  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    List<String> ids = new ArrayList<>();
    for (UUID id : pending) {
      if (pending.remove(id)) {
        ids.add(id.toString());
      }
    }
    try (Connection connection = dataSource.getConnection();
        PreparedStatement notify = connection.prepareStatement(NOTIFY)) {
      notify.setString(1, ClusterChannels.ROLLOUT_CHANGED);
      notify.setArray(2, connection.createArrayOf("text", ids.toArray()));
      notify.execute();
    } catch (SQLException | RuntimeException e) {
      // the database is away: keep them for the next try (the listener looks at everything
      // again when it reconnects, so nothing is lost for good either way)
      ids.forEach(id -> pending.add(UUID.fromString(id)));
      LOG.debugf("rollout notices not sent, retrying: %s", e.getMessage());
    }
  }
}
