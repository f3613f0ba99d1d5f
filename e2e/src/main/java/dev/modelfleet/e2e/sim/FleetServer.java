package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.transport.grpc.AgentChannels;
import io.grpc.ManagedChannel;
import java.util.concurrent.TimeUnit;

/**
 * One server replica and the channel all its devices share (HTTP/2 multiplexes their streams, so a
 * thousand devices are one connection, not a thousand).
 *
 * @param host the host part of {@code target}, for the HTTP artifact address the server announces
 *     only by port
 */
record FleetServer(String target, String host, ManagedChannel channel) {

  static FleetServer connect(String target) {
    return new FleetServer(
        target, target.substring(0, target.lastIndexOf(':')), AgentChannels.plaintext(target));
  }

  void close() {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
