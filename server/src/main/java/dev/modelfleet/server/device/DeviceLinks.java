package dev.modelfleet.server.device;

import dev.modelfleet.protocol.agent.v1.ServerMessage;
import java.util.UUID;

/**
 * The open agent streams of this server process, for the few requests that go to a device at once
 * instead of through its desired state (run a benchmark, time a trial). The agent API implements
 * it; features depend on this interface, not on the transport.
 */
public interface DeviceLinks {

  boolean isConnected(UUID deviceId);

  /** How many devices have an open stream to this server process. */
  int connectedCount();

  /** Sends on the device's open stream; false when it has none here. */
  boolean send(UUID deviceId, ServerMessage message);
}
