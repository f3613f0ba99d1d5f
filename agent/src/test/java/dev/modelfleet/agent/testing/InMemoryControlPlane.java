package dev.modelfleet.agent.testing;

import com.google.protobuf.MessageLite;
import dev.modelfleet.agent.session.ControlPlane;
import dev.modelfleet.agent.session.SessionEnd;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.TrialReport;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The control plane port played in memory, for tests of the device's session without any transport:
 * the test sees what the device sent and speaks for the server through {@link #inbound()}, ending
 * sessions as it likes.
 */
public final class InMemoryControlPlane implements ControlPlane {

  /** Every session's Hello, in the order sessions were opened. */
  public final BlockingQueue<Hello> hellos = new LinkedBlockingQueue<>();

  /** Everything sent after a Hello: heartbeats, progress, benchmark and trial reports. */
  public final BlockingQueue<MessageLite> sent = new LinkedBlockingQueue<>();

  /** How the device ended sessions itself (cancel reasons). */
  public final BlockingQueue<String> cancelled = new LinkedBlockingQueue<>();

  private volatile Inbound current;

  @Override
  public Connection open(Hello hello, Inbound inbound) {
    current = inbound;
    hellos.add(hello);
    return new Connection() {
      @Override
      public void heartbeat(Heartbeat heartbeat) {
        sent.add(heartbeat);
      }

      @Override
      public void progress(DeploymentProgress progress) {
        sent.add(progress);
      }

      @Override
      public void benchmark(BenchmarkReport report) {
        sent.add(report);
      }

      @Override
      public void trial(TrialReport report) {
        sent.add(report);
      }

      @Override
      public void cancel(String reason) {
        cancelled.add(reason);
        inbound.ended(SessionEnd.retry("CANCELLED: " + reason));
      }
    };
  }

  /** The server's side of the newest session. */
  public Inbound inbound() {
    Inbound inbound = current;
    if (inbound == null) {
      throw new IllegalStateException("no session was opened");
    }
    return inbound;
  }
}
