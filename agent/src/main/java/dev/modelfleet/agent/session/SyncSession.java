package dev.modelfleet.agent.session;

import dev.modelfleet.protocol.agent.v1.ArtifactUrlRequest;
import dev.modelfleet.protocol.agent.v1.ArtifactUrls;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.ReportAck;
import dev.modelfleet.protocol.agent.v1.RootUpdate;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import dev.modelfleet.protocol.agent.v1.TrialReport;
import dev.modelfleet.protocol.agent.v1.TrialRequest;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The device's session with its control plane: Hello, heartbeats and progress up; config, desired
 * states, root updates and requests down. Reconnects with backoff and jitter, and stops for good
 * where a new session cannot help (credential refused, device rejected, session taken over).
 * Inference keeps running whatever happens here. A device waiting for an operator's approval just
 * keeps its session open. Knows nothing of how messages travel: that is the {@link ControlPlane}'s.
 */
public final class SyncSession implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.sync");

  /** Why the session loop ended for good. */
  public enum Stop {
    CLOSED,
    UNAUTHENTICATED,
    REJECTED,
    REPLACED
  }

  private final ControlPlane controlPlane;
  private final DeviceReports reports;
  private final NewestDesiredState desiredStates;
  private final Backoff backoff;
  private final ApprovalWait approval = new ApprovalWait();
  private final ScheduledExecutorService heartbeats =
      Executors.newSingleThreadScheduledExecutor(daemon("heartbeat"));
  private final Object sendLock = new Object();
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile ControlPlane.Connection connection;
  private volatile ScheduledFuture<?> heartbeatTask;
  private volatile boolean closed;
  private volatile Thread loopThread;
  private volatile Stop stop;
  private volatile Consumer<SyncConfig> configListener = config -> {};
  private volatile Consumer<RootUpdate> rootUpdates = update -> {};
  private volatile Runnable benchmarkRequests = () -> {};
  private volatile Consumer<TrialRequest> trialRequests = request -> {};
  private volatile Consumer<ArtifactUrls> artifactUrls = urls -> {};
  private volatile OfflineReports offline;
  private volatile OfflineHeartbeats offlineHeartbeats;

  /** The open session's messages; null while none is open. Guarded by sendLock for writes. */
  private volatile Inbound current;

  /**
   * @param desiredStates applies a desired state (the deployer); runs on a thread of its own
   */
  public SyncSession(
      ControlPlane controlPlane,
      DeviceReports reports,
      DesiredStateHandler desiredStates,
      Backoff backoff) {
    this.controlPlane = controlPlane;
    this.reports = reports;
    this.desiredStates = new NewestDesiredState(desiredStates);
    this.backoff = backoff;
  }

  /** Applies a desired state: verifies it, downloads what it names, swaps models in. */
  @FunctionalInterface
  public interface DesiredStateHandler {
    void apply(SignedEnvelope desiredState) throws InterruptedException;
  }

  /** Called with every SyncConfig the server sends (at the start of each session). */
  public SyncSession onConfig(Consumer<SyncConfig> listener) {
    this.configListener = listener;
    return this;
  }

  /**
   * Checks a RootUpdate. It runs before the next message is delivered, so a desired state signed by
   * new keys that follows an update is verified with the updated root.
   */
  /** Direct download addresses the server sends (object storage), on the session's thread. */
  public SyncSession onArtifactUrls(Consumer<ArtifactUrls> handler) {
    this.artifactUrls = handler;
    return this;
  }

  /** Asks the server for fresh direct download addresses; dropped while no session is open. */
  public void requestArtifactUrls(java.util.List<String> sha256s) {
    send(c -> c.artifactUrlRequest(ArtifactUrlRequest.newBuilder().addAllSha256(sha256s).build()));
  }

  public SyncSession onRootUpdate(Consumer<RootUpdate> handler) {
    this.rootUpdates = handler;
    return this;
  }

  /**
   * The server's requests to the device, called on the session's thread: the handlers hand them to
   * a background worker.
   */
  public SyncSession onRequests(Runnable benchmark, Consumer<TrialRequest> trial) {
    this.benchmarkRequests = benchmark;
    this.trialRequests = trial;
    return this;
  }

  /** A finished benchmark; dropped when no session is up (the next Hello carries it). */
  public void sendBenchmark(BenchmarkReport report) {
    send(c -> c.benchmark(report));
  }

  /** A finished trial; dropped when no session is up (the server may ask again). */
  public void sendTrialReport(TrialReport report) {
    send(c -> c.trial(report));
  }

  /**
   * Hook for the deployer's progress. An outcome (active, failed) goes into the report queue first
   * and leaves it only when the server acknowledged it (or, with a server that does not
   * acknowledge, once sent); it is sent at once when a session is up and its SyncConfig came, else
   * after the next one. A step on the way is sent when a session is up and dropped otherwise (Hello
   * and heartbeats carry the installed models, so nothing is lost for good).
   */
  public void sendProgress(DeploymentProgress progress) {
    synchronized (sendLock) {
      OfflineReports queue = offline;
      if (queue != null) {
        DeploymentProgress numbered = queue.add(progress);
        if (numbered != null) {
          Inbound session = current;
          if (connection != null && session != null && session.configured) {
            deliverQueued(session, numbered);
          }
          return;
        }
      }
    }
    send(c -> c.progress(progress));
  }

  /**
   * Keeps outcome reports in {@code queue} until the server acknowledges them (made while no
   * session is open, or sent on a stream that broke before the ack), and sends what it holds once
   * each new session's SyncConfig says whether the server acknowledges.
   */
  public SyncSession queueWhileOffline(OfflineReports queue) {
    this.offline = queue;
    return this;
  }

  /**
   * Sends the heartbeats {@code queue} kept while no session was open (see {@link
   * OfflineHeartbeats#record}) after the next session's SyncConfig, before any live heartbeat.
   */
  public SyncSession heartbeatsWhileOffline(OfflineHeartbeats queue) {
    this.offlineHeartbeats = queue;
    return this;
  }

  /**
   * Keeps the heartbeat the device would send now in the offline queue, unless a session is open
   * and answered. Under sendLock, so that it is either kept before a new session sends the queue,
   * or not kept at all.
   */
  public void keepHeartbeatIfOffline() {
    OfflineHeartbeats queue = offlineHeartbeats;
    if (queue == null) {
      return;
    }
    synchronized (sendLock) {
      if (!answered()) {
        queue.add(reports.heartbeat());
      }
    }
  }

  /** Sends one newly queued outcome on a configured session. Holds sendLock. */
  private void deliverQueued(Inbound session, DeploymentProgress numbered) {
    ControlPlane.Connection open = connection;
    try {
      if (session.acking) {
        open.progress(numbered);
      } else {
        offline.drain(open::progress);
      }
    } catch (RuntimeException e) {
      // The session is failing; the report stays queued and goes out on the next one.
    }
  }

  public SyncSession start() {
    loopThread = new Thread(this::loop, "sync");
    loopThread.setDaemon(true);
    loopThread.start();
    return this;
  }

  /**
   * Ends the current session so that the loop opens a new one at once, on whatever connection the
   * transport now has (after a certificate renewal). A no-op when no session is up.
   */
  public void reconnect() {
    synchronized (sendLock) {
      ControlPlane.Connection current = connection;
      if (current != null) {
        backoff.reset();
        current.cancel("reconnecting with a renewed certificate");
      }
    }
  }

  /** Blocks until the session loop stops for good; returns why. */
  /** Whether a session with the control plane is open now. */
  public boolean connected() {
    return connection != null;
  }

  /**
   * Whether a session is open and the server answered it (its SyncConfig came): a stream still
   * trying to reach an unreachable server is not.
   */
  public boolean answered() {
    Inbound session = current;
    return session != null && session.configured;
  }

  /** Why syncing stopped for good, or null while it goes on (connected or retrying). */
  public Stop stopped() {
    return stop;
  }

  public Stop awaitStop() throws InterruptedException {
    stopped.await();
    return stop;
  }

  private void loop() {
    try {
      while (!closed) {
        SessionEnd end;
        try {
          end = session();
        } catch (RuntimeException e) {
          // A bug or a failing probe must not end syncing for good: retry like a dropped session.
          LOG.log(Level.WARNING, "sync session failed unexpectedly", e);
          end = SessionEnd.retry("INTERNAL: agent error: " + e);
        }
        if (closed) {
          break;
        }
        switch (end.reason()) {
          case UNAUTHENTICATED -> {
            LOG.severe(
                "the server refused this device's credential ("
                    + end.detail()
                    + "): the device was decommissioned or its identity is unknown. Inference keeps"
                    + " serving the current models; to sync again an operator must enroll it anew"
                    + " (new token, fresh state directory).");
            stop = Stop.UNAUTHENTICATED;
            return;
          }
          case REJECTED -> {
            LOG.severe(
                "the server refused this device ("
                    + end.detail()
                    + "): an operator"
                    + " rejected it. Sync stops; inference keeps serving the models already here."
                    + " To join the fleet, enroll again with a fresh state directory and a new token,"
                    + " and ask an operator to approve the new device.");
            stop = Stop.REJECTED;
            return;
          }
          case REPLACED -> {
            LOG.severe(
                "another agent process with this device's identity took over the Sync"
                    + " session ("
                    + end.detail()
                    + "); this process stops syncing and keeps"
                    + " serving. Run only one agent per state directory.");
            stop = Stop.REPLACED;
            return;
          }
          case RETRY -> {
            long delay = backoff.nextDelayMs();
            LOG.info("sync stream ended (" + end.detail() + "); reconnecting in " + delay + " ms");
            Thread.sleep(delay);
          }
        }
      }
      stop = Stop.CLOSED;
    } catch (InterruptedException e) {
      stop = Stop.CLOSED;
    } finally {
      stopped.countDown();
    }
  }

  /** Runs one session to its end and returns how it ended. */
  private SessionEnd session() throws InterruptedException {
    Inbound inbound = new Inbound();
    synchronized (sendLock) {
      // Built under the lock that senders take: a report (a benchmark, say) finished while the
      // Hello is being built either is in it or waits and follows it in this session, never
      // falls between the two. Built before the session opens: if this fails, no session is
      // left open behind it.
      Hello hello = reports.hello();
      connection = controlPlane.open(hello, inbound);
      current = inbound;
      // queued reports and heartbeats follow the session's SyncConfig, which says whether the
      // server acknowledges reports
    }
    try {
      inbound.done.await();
    } finally {
      synchronized (sendLock) {
        connection = null;
        current = null;
      }
      ScheduledFuture<?> task = heartbeatTask;
      if (task != null) {
        task.cancel(false);
      }
    }
    return inbound.end;
  }

  /** One session's messages; any message shows the server is there, so the backoff starts over. */
  private final class Inbound implements ControlPlane.Inbound {
    final CountDownLatch done = new CountDownLatch(1);
    volatile SessionEnd end;

    /** Set with the session's first SyncConfig, under sendLock. */
    volatile boolean configured;

    volatile boolean acking;

    @Override
    public void config(SyncConfig config) {
      backoff.reset();
      synchronized (sendLock) {
        if (!configured && current == this) {
          configured = true;
          acking = config.getAcksReports();
          deliverOnOpen(this);
        }
      }
      scheduleHeartbeats(config.getHeartbeatIntervalSeconds());
      approval.note(config.getAwaitingApproval());
      configListener.accept(config);
    }

    @Override
    public void desiredState(SignedEnvelope desiredState) {
      backoff.reset();
      desiredStates.offer(desiredState);
    }

    @Override
    public void rootUpdate(RootUpdate update) {
      backoff.reset();
      rootUpdates.accept(update);
    }

    @Override
    public void artifactUrls(ArtifactUrls urls) {
      artifactUrls.accept(urls);
    }

    @Override
    public void reportAck(ReportAck ack) {
      OfflineReports queue = offline;
      if (queue != null) {
        queue.acknowledge(ack.getReportQueue(), ack.getReportSeq());
      }
    }

    @Override
    public void benchmarkRequested() {
      backoff.reset();
      benchmarkRequests.run();
    }

    @Override
    public void trialRequested(TrialRequest request) {
      backoff.reset();
      trialRequests.accept(request);
    }

    @Override
    public void ended(SessionEnd how) {
      end = how;
      done.countDown();
    }
  }

  /**
   * At the start of a session, once its SyncConfig came: the heartbeats made offline (oldest
   * first), then the reports not yet acknowledged. Holds sendLock, so nothing live comes between.
   */
  private void deliverOnOpen(Inbound session) {
    ControlPlane.Connection open = connection;
    if (open == null) {
      return;
    }
    try {
      OfflineHeartbeats beats = offlineHeartbeats;
      if (beats != null) {
        beats.drain(System.currentTimeMillis(), open::heartbeat);
      }
      OfflineReports queue = offline;
      if (queue != null) {
        if (session.acking) {
          queue.resend(open::progress);
        } else {
          queue.drain(open::progress);
        }
      }
    } catch (RuntimeException e) {
      // The session is failing already; the transport reports why and the loop reconnects.
    }
  }

  private void scheduleHeartbeats(int seconds) {
    ScheduledFuture<?> previous = heartbeatTask;
    if (previous != null) {
      previous.cancel(false);
    }
    long interval = Math.max(1, seconds <= 0 ? 30 : seconds);
    heartbeatTask =
        heartbeats.scheduleAtFixedRate(this::heartbeat, interval, interval, TimeUnit.SECONDS);
  }

  private void heartbeat() {
    Heartbeat beat = reports.heartbeat();
    send(c -> c.heartbeat(beat));
  }

  private void send(Consumer<ControlPlane.Connection> message) {
    synchronized (sendLock) {
      ControlPlane.Connection current = connection;
      if (current == null) {
        return;
      }
      try {
        message.accept(current);
      } catch (RuntimeException e) {
        // The session is failing; the transport reports why and the loop reconnects.
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (sendLock) {
      if (connection != null) {
        try {
          connection.cancel("agent shutting down");
        } catch (RuntimeException e) {
          // Already gone.
        }
      }
    }
    Thread thread = loopThread;
    if (thread != null) {
      thread.interrupt();
    }
    heartbeats.shutdownNow();
    desiredStates.close();
  }

  static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
