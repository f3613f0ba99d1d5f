package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.tls.TlsIdentity;
import dev.modelfleet.agent.transport.grpc.AgentChannels;
import io.grpc.ManagedChannel;
import java.io.UncheckedIOException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * One server replica and the channel all its devices share (HTTP/2 multiplexes their streams, so a
 * thousand devices are one connection, not a thousand). Under mutual TLS the shared channel carries
 * only Enroll (no certificate yet); each enrolled device talks on a channel of its own with its
 * certificate ({@link #deviceChannel}), as one agent would.
 *
 * @param host the host part of {@code target}, for the HTTP artifact address the server announces
 *     only by port
 * @param fleetCa the CA the agent port's certificate must chain to; null: plaintext
 */
record FleetServer(
    String target, String host, ManagedChannel channel, List<X509Certificate> fleetCa) {

  static FleetServer connect(String target, List<X509Certificate> fleetCa) {
    String host = target.substring(0, target.lastIndexOf(':'));
    if (fleetCa == null) {
      return new FleetServer(target, host, AgentChannels.plaintext(target), null);
    }
    return new FleetServer(target, host, tls(target, fleetCa, null), List.copyOf(fleetCa));
  }

  boolean mutualTls() {
    return fleetCa != null;
  }

  /** A channel presenting {@code identity}'s certificate; the caller shuts it down. */
  ManagedChannel deviceChannel(TlsIdentity identity) {
    return tls(target, fleetCa, identity);
  }

  private static ManagedChannel tls(
      String target, List<X509Certificate> fleetCa, TlsIdentity identity) {
    try {
      return AgentChannels.mutualTls(target, fleetCa, identity);
    } catch (SSLException e) {
      throw new UncheckedIOException("cannot set up TLS towards " + target, e);
    }
  }

  void close() {
    close(channel);
  }

  static void close(ManagedChannel channel) {
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
