package dev.modelfleet.server.agentapi;

import dev.modelfleet.server.assignment.DesiredStateService;
import dev.modelfleet.server.cluster.ClusterNoticeHandler;
import dev.modelfleet.server.signing.RootMetadataChain;
import io.agroal.api.AgroalDataSource;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Brings this replica's device streams up to date with changes committed on any replica. A notice's
 * generation is compared with what the stream already carried before anything is read, so the
 * notice of a change made here (already pushed by {@link DeviceSessions}) and notices for devices
 * connected elsewhere cost no database work at all.
 */
@ApplicationScoped
class RemoteChanges implements ClusterNoticeHandler {

  private static final Logger LOG = Logger.getLogger(RemoteChanges.class);
  private static final int CATCH_UP_CHUNK = 1_000;
  // a rollout wave on another replica can bring thousands of notices at once; a few threads
  // read their documents while the listener goes on receiving
  private static final int PUSH_THREADS = 4;

  private static final String STATES =
      "select d.id, d.status, s.generation from devices d"
          + " left join device_desired_states s on s.device_id = d.id where d.id = any(?)";

  private final DeviceSessions sessions;
  private final SyncService sync;
  private final DesiredStateService desiredStates;
  private final AgroalDataSource dataSource;
  // one queued read per device however many notices arrive for it meanwhile: the read sends
  // the newest document, and the queue never grows past the number of local streams
  private final Set<UUID> queued = ConcurrentHashMap.newKeySet();
  private final ExecutorService pushers =
      Executors.newFixedThreadPool(
          PUSH_THREADS,
          r -> {
            Thread thread = new Thread(r, "remote-desired-state-push");
            thread.setDaemon(true);
            return thread;
          });

  private final RootMetadataChain roots;

  RemoteChanges(
      DeviceSessions sessions,
      SyncService sync,
      DesiredStateService desiredStates,
      AgroalDataSource dataSource,
      RootMetadataChain roots) {
    this.roots = roots;
    this.sessions = sessions;
    this.sync = sync;
    this.desiredStates = desiredStates;
    this.dataSource = dataSource;
  }

  @PreDestroy
  void stop() {
    pushers.shutdownNow();
  }

  @Override
  public void desiredStateChanged(UUID deviceId, long generation) {
    sessions
        .find(deviceId)
        .filter(session -> session.sentGeneration() < generation)
        .ifPresent(session -> queuePush(deviceId));
  }

  @Override
  public void decommissioned(UUID deviceId) {
    sessions.closeDecommissioned(deviceId);
  }

  @Override
  public void rootPublished(long version) {
    pushers.execute(
        () -> {
          List<dev.modelfleet.protocol.agent.v1.SignedEnvelope> chain = roots.rootChain();
          sessions.all().forEach(session -> session.sendRootUpdate(chain));
        });
  }

  @Override
  public void approved(UUID deviceId) {
    if (sessions.find(deviceId).isPresent()) {
      pushers.execute(() -> reconcile(deviceId));
    }
  }

  @Override
  public void rejected(UUID deviceId) {
    sessions.closeRejected(deviceId);
  }

  @Override
  public int catchUp() {
    List<SyncSession> local = sessions.all();
    for (int from = 0; from < local.size(); from += CATCH_UP_CHUNK) {
      catchUp(local.subList(from, Math.min(local.size(), from + CATCH_UP_CHUNK)));
    }
    return local.size();
  }

  private void catchUp(List<SyncSession> chunk) {
    Map<UUID, SyncSession> byDevice =
        chunk.stream().collect(Collectors.toMap(SyncSession::deviceId, Function.identity()));
    try (Connection connection = dataSource.getConnection();
        PreparedStatement statement = connection.prepareStatement(STATES)) {
      statement.setArray(1, connection.createArrayOf("uuid", byDevice.keySet().toArray()));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          UUID deviceId = rows.getObject(1, UUID.class);
          long generation = rows.getLong(3); // 0 when the device has no desired state yet
          SyncSession session = byDevice.get(deviceId);
          switch (rows.getString(2)) {
            case "pending" -> {} // nothing to send until it is approved
            case "rejected" -> rejected(deviceId);
            case "active" -> {
              if (session.awaitingApproval()) {
                approved(deviceId); // approved while this replica was not listening
              } else if (generation > session.sentGeneration()) {
                queuePush(deviceId);
              }
            }
            default -> decommissioned(deviceId);
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "could not read the desired-state generations of local devices", e);
    }
  }

  private void queuePush(UUID deviceId) {
    if (queued.add(deviceId)) {
      pushers.execute(
          () -> {
            queued.remove(deviceId);
            pushCurrent(deviceId);
          });
    }
  }

  private void reconcile(UUID deviceId) {
    sessions
        .find(deviceId)
        .ifPresent(
            session -> {
              try {
                sync.reconcile(session);
              } catch (RuntimeException e) {
                // the device is told at its next Hello
                LOG.warnf(e, "could not tell device %s of its approval made elsewhere", deviceId);
              }
            });
  }

  private void pushCurrent(UUID deviceId) {
    sessions
        .find(deviceId)
        .ifPresent(
            session -> {
              try {
                desiredStates.currentFor(deviceId).ifPresent(session::sendDesiredState);
              } catch (RuntimeException e) {
                // the device gets it at its next Hello, or with the next change's notice
                LOG.warnf(
                    e,
                    "could not push the desired state committed elsewhere to device %s",
                    deviceId);
              }
            });
  }
}
