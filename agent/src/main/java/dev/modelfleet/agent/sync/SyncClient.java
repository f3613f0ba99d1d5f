package dev.modelfleet.agent.sync;

import dev.modelfleet.agent.deploy.Deployer;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.VersionStats;
import dev.modelfleet.agent.state.ActiveModel;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.InstalledModel;
import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The device's Sync session: Hello, heartbeats, progress up; config and desired states down.
 * Reconnects with backoff and jitter, and stops for good where the protocol says a retry cannot
 * help (UNAUTHENTICATED, PERMISSION_DENIED, ABORTED). Inference keeps running whatever happens
 * here. A device waiting for an operator's approval just keeps its stream open.
 */
public final class SyncClient implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.sync");

  /** Why the session loop ended for good. */
  public enum Stop {
    CLOSED,
    UNAUTHENTICATED,
    REJECTED,
    REPLACED
  }

  private final AgentServiceGrpc.AgentServiceStub stub;
  private final Supplier<HardwareProfile> hardware;
  private final Deployer deployer;
  private final ModelRegistry registry;
  private final StateStore store;
  private final Backoff backoff;
  private final ExecutorService deployExecutor =
      Executors.newSingleThreadExecutor(daemon("deploy"));
  private final ScheduledExecutorService heartbeats =
      Executors.newSingleThreadScheduledExecutor(daemon("heartbeat"));
  private final AtomicReference<SignedEnvelope> pendingDesired = new AtomicReference<>();
  private final Object sendLock = new Object();
  private volatile StreamObserver<AgentMessage> outbound;
  private volatile ScheduledFuture<?> heartbeatTask;
  private volatile boolean closed;
  private volatile Thread loopThread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private volatile Stop stop;
  // logged once per wait, however often the stream reconnects meanwhile
  private volatile boolean awaitingApproval;
  private volatile java.util.function.Consumer<dev.modelfleet.protocol.agent.v1.SyncConfig>
      configListener = config -> {};
  private volatile java.util.function.Consumer<ServerMessage> requestHandler = message -> {};
  private volatile java.util.function.Consumer<dev.modelfleet.protocol.agent.v1.RootUpdate>
      rootUpdates = update -> {};
  private volatile java.util.function.LongSupplier rootVersion = () -> 0;

  public SyncClient(
      AgentServiceGrpc.AgentServiceStub stub,
      Supplier<HardwareProfile> hardware,
      Deployer deployer,
      ModelRegistry registry,
      StateStore store,
      Backoff backoff) {
    this.stub = stub;
    this.hardware = hardware;
    this.deployer = deployer;
    this.registry = registry;
    this.store = store;
    this.backoff = backoff;
  }

  /** Called with every SyncConfig the server sends (on each new stream). */
  public SyncClient onConfig(
      java.util.function.Consumer<dev.modelfleet.protocol.agent.v1.SyncConfig> listener) {
    this.configListener = listener;
    return this;
  }

  /**
   * Called with the server's requests to the device (RunBenchmark, TrialRequest), on the stream's
   * thread: the handler hands them to a background worker.
   */
  public SyncClient onRequest(java.util.function.Consumer<ServerMessage> handler) {
    this.requestHandler = handler;
    return this;
  }

  /**
   * Root metadata: {@code version} is reported in every Hello (the server sends the versions after
   * it); {@code handler} checks a RootUpdate. It runs on the stream's thread, before the next
   * message is read, so a desired state signed by new keys that follows an update is verified with
   * the updated root.
   */
  public SyncClient onRootUpdate(
      java.util.function.LongSupplier version,
      java.util.function.Consumer<dev.modelfleet.protocol.agent.v1.RootUpdate> handler) {
    this.rootVersion = version;
    this.rootUpdates = handler;
    return this;
  }

  /** A finished benchmark; dropped when no stream is up (the next Hello carries it). */
  public void sendBenchmark(dev.modelfleet.protocol.agent.v1.BenchmarkReport report) {
    send(AgentMessage.newBuilder().setBenchmark(report).build());
  }

  /** A finished trial; dropped when no stream is up (the server may ask again). */
  public void sendTrialReport(dev.modelfleet.protocol.agent.v1.TrialReport report) {
    send(AgentMessage.newBuilder().setTrial(report).build());
  }

  /**
   * Hook for the deployer's progress: sent when a stream is up, dropped otherwise (Hello and
   * heartbeats carry the installed models, so nothing is lost for good).
   */
  public void sendProgress(DeploymentProgress progress) {
    send(AgentMessage.newBuilder().setProgress(progress).build());
  }

  public SyncClient start() {
    loopThread = new Thread(this::loop, "sync");
    loopThread.setDaemon(true);
    loopThread.start();
    return this;
  }

  /**
   * Ends the current stream so that the loop opens a new one at once, on whatever connection the
   * channel now has (after a certificate renewal). A no-op when no stream is up.
   */
  public void reconnect() {
    synchronized (sendLock) {
      StreamObserver<AgentMessage> current = outbound;
      if (current != null) {
        backoff.reset();
        current.onError(
            Status.CANCELLED
                .withDescription("reconnecting with a renewed certificate")
                .asRuntimeException());
      }
    }
  }

  /** Blocks until the session loop stops for good; returns why. */
  public Stop awaitStop() throws InterruptedException {
    stopped.await();
    return stop;
  }

  private void loop() {
    try {
      while (!closed) {
        Status status;
        try {
          status = session();
        } catch (RuntimeException e) {
          // A bug or a failing probe must not end syncing for good: retry like a dropped stream.
          LOG.log(Level.WARNING, "sync session failed unexpectedly", e);
          status = Status.INTERNAL.withDescription("agent error: " + e);
        }
        if (closed) {
          break;
        }
        switch (status.getCode()) {
          case UNAUTHENTICATED -> {
            LOG.severe(
                "the server refused this device's credential ("
                    + describe(status)
                    + "): the device was decommissioned or its identity is unknown. Inference keeps"
                    + " serving the current models; to sync again an operator must enroll it anew"
                    + " (new token, fresh state directory).");
            stop = Stop.UNAUTHENTICATED;
            return;
          }
          case PERMISSION_DENIED -> {
            LOG.severe(
                "the server refused this device ("
                    + describe(status)
                    + "): an operator"
                    + " rejected it. Sync stops; inference keeps serving the models already here."
                    + " To join the fleet, enroll again with a fresh state directory and a new token,"
                    + " and ask an operator to approve the new device.");
            stop = Stop.REJECTED;
            return;
          }
          case ABORTED -> {
            LOG.severe(
                "another agent process with this device's identity took over the Sync"
                    + " session ("
                    + describe(status)
                    + "); this process stops syncing and keeps"
                    + " serving. Run only one agent per state directory.");
            stop = Stop.REPLACED;
            return;
          }
          default -> {
            long delay = backoff.nextDelayMs();
            LOG.info(
                "sync stream ended (" + describe(status) + "); reconnecting in " + delay + " ms");
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

  /** Runs one stream to its end and returns the status it ended with. */
  private Status session() throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Status> ended = new AtomicReference<>(Status.UNAVAILABLE);
    StreamObserver<ServerMessage> inbound =
        new StreamObserver<>() {
          @Override
          public void onNext(ServerMessage message) {
            backoff.reset();
            switch (message.getKindCase()) {
              case CONFIG -> {
                scheduleHeartbeats(message.getConfig().getHeartbeatIntervalSeconds());
                noteApproval(message.getConfig().getAwaitingApproval());
                configListener.accept(message.getConfig());
              }
              case DESIRED_STATE -> {
                pendingDesired.set(message.getDesiredState());
                deployExecutor.execute(SyncClient.this::applyLatest);
              }
              case ROOT_UPDATE -> rootUpdates.accept(message.getRootUpdate());
              case RUN_BENCHMARK, TRIAL -> requestHandler.accept(message);
              default -> LOG.fine("ignoring unknown server message " + message.getKindCase());
            }
          }

          @Override
          public void onError(Throwable t) {
            ended.set(Status.fromThrowable(t));
            done.countDown();
          }

          @Override
          public void onCompleted() {
            ended.set(Status.UNAVAILABLE.withDescription("server closed the stream"));
            done.countDown();
          }
        };
    synchronized (sendLock) {
      // Built under the lock that senders take: a report (a benchmark, say) finished while the
      // Hello is being built either is in it or waits and follows it on this stream, never
      // falls between the two. Built before the stream opens: if this fails, no call is left
      // open behind it.
      AgentMessage hello =
          AgentMessage.newBuilder()
              .setHello(
                  Hello.newBuilder()
                      .setHardware(hardware.get())
                      .addAllInstalled(installed())
                      .setAcceptedGeneration(store.current().acceptedGeneration())
                      .setRootVersion(rootVersion.getAsLong()))
              .build();
      StreamObserver<AgentMessage> out = stub.sync(inbound);
      outbound = out;
      out.onNext(hello);
    }
    try {
      done.await();
    } finally {
      synchronized (sendLock) {
        outbound = null;
      }
      ScheduledFuture<?> task = heartbeatTask;
      if (task != null) {
        task.cancel(false);
      }
    }
    return ended.get();
  }

  private void noteApproval(boolean awaiting) {
    if (awaiting && !awaitingApproval) {
      LOG.warning(
          "waiting for an operator to approve this device (POST"
              + " /api/v1/devices/<device id>/approve); it keeps syncing and reporting, and receives"
              + " models once approved");
    } else if (!awaiting && awaitingApproval) {
      LOG.info("an operator approved this device; it now receives its desired state");
    }
    awaitingApproval = awaiting;
  }

  /** Only the newest desired state matters; older ones still queued are skipped. */
  private void applyLatest() {
    SignedEnvelope envelope = pendingDesired.getAndSet(null);
    if (envelope == null) {
      return;
    }
    try {
      deployer.apply(envelope);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "applying a desired state failed unexpectedly", e);
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
    Heartbeat.Builder beat =
        Heartbeat.newBuilder().setSentAtMs(System.currentTimeMillis()).addAllInstalled(installed());
    registry.figures().forEach(figures -> beat.addCounters(counters(figures)));
    send(AgentMessage.newBuilder().setHeartbeat(beat).build());
  }

  private static ModelCounters counters(VersionStats.Snapshot figures) {
    return ModelCounters.newBuilder()
        .setModel(figures.model())
        .setVersion(figures.version())
        .setVariantId(figures.variantId())
        .setRequests(figures.requests())
        .setErrors(figures.errors())
        .setP50Ms(figures.p50Ms())
        .setP95Ms(figures.p95Ms())
        .setExecutionProviderUsed(figures.executionProvider())
        .build();
  }

  private List<InstalledModel> installed() {
    List<InstalledModel> installed = new ArrayList<>();
    for (ActiveModel model : store.current().activeModels()) {
      ServedModel served = registry.peek(model.model());
      installed.add(
          InstalledModel.newBuilder()
              .setModel(model.model())
              .setVersion(model.version())
              .setVariantId(model.variantId())
              .setSha256(model.sha256())
              .setActive(served != null && served.sha256().equals(model.sha256()))
              .build());
    }
    return installed;
  }

  private void send(AgentMessage message) {
    synchronized (sendLock) {
      StreamObserver<AgentMessage> out = outbound;
      if (out == null) {
        return;
      }
      try {
        out.onNext(message);
      } catch (RuntimeException e) {
        // The stream is failing; its observer reports why and the loop reconnects.
      }
    }
  }

  private static String describe(Status status) {
    return status.getCode()
        + (status.getDescription() == null ? "" : ": " + status.getDescription());
  }

  @Override
  public void close() {
    closed = true;
    synchronized (sendLock) {
      if (outbound != null) {
        try {
          outbound.onError(
              Status.CANCELLED.withDescription("agent shutting down").asRuntimeException());
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
    deployExecutor.shutdownNow();
  }

  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
