package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.server.assignment.DesiredStateChanged;
import dev.modelfleet.server.device.DeviceDecommissioned;
import dev.modelfleet.server.device.DeviceLinks;
import dev.modelfleet.server.device.DeviceRejected;
import io.grpc.Status;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The open Sync streams of this server process, one per device. Changes reach them only after their
 * transaction committed, so a device never sees a document that was rolled back. A change made here
 * is pushed at once (the observers below); one made on another replica arrives through {@link
 * RemoteChanges}.
 */
@ApplicationScoped
public class DeviceSessions implements DeviceLinks {

  private final ConcurrentMap<UUID, SyncSession> sessions = new ConcurrentHashMap<>();

  DeviceSessions(MeterRegistry registry) {
    Gauge.builder("modelfleet.sync.streams.open", sessions, ConcurrentMap::size)
        .description("Sync streams of devices open on this replica")
        .register(registry);
  }

  void register(SyncSession session) {
    SyncSession older = sessions.put(session.deviceId(), session);
    if (older != null && older != session) {
      older.close(
          Status.ABORTED.withDescription("a newer stream of this device replaced this one"));
    }
  }

  void remove(SyncSession session) {
    sessions.remove(session.deviceId(), session);
  }

  Optional<SyncSession> find(UUID deviceId) {
    return Optional.ofNullable(sessions.get(deviceId));
  }

  List<SyncSession> all() {
    return List.copyOf(sessions.values());
  }

  @Override
  public int connectedCount() {
    return sessions.size();
  }

  @Override
  public boolean isConnected(UUID deviceId) {
    return sessions.containsKey(deviceId);
  }

  @Override
  public boolean send(UUID deviceId, ServerMessage message) {
    SyncSession session = sessions.get(deviceId);
    return session != null && session.send(message);
  }

  void push(@Observes(during = TransactionPhase.AFTER_SUCCESS) DesiredStateChanged change) {
    find(change.deviceId()).ifPresent(s -> s.sendDesiredState(change.document()));
  }

  void disconnect(@Observes(during = TransactionPhase.AFTER_SUCCESS) DeviceDecommissioned event) {
    closeDecommissioned(event.deviceId());
  }

  void disconnect(@Observes(during = TransactionPhase.AFTER_SUCCESS) DeviceRejected event) {
    closeRejected(event.deviceId());
  }

  void closeRejected(UUID deviceId) {
    Optional.ofNullable(sessions.remove(deviceId))
        .ifPresent(s -> s.close(Status.PERMISSION_DENIED.withDescription(SyncService.REJECTED)));
  }

  void closeDecommissioned(UUID deviceId) {
    Optional.ofNullable(sessions.remove(deviceId))
        .ifPresent(
            s ->
                s.close(
                    Status.UNAUTHENTICATED.withDescription(
                        "the device was decommissioned; it must be enrolled again")));
  }
}
