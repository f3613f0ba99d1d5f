package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.sync.BearerCredentialInterceptor;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.v1.AgentMessage;
import dev.modelfleet.agent.v1.AgentServiceGrpc;
import dev.modelfleet.agent.v1.DeploymentProgress;
import dev.modelfleet.agent.v1.Heartbeat;
import dev.modelfleet.agent.v1.Hello;
import dev.modelfleet.agent.v1.ServerMessage;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One simulated device's Sync session on the shared channel. It owns no thread: gRPC callbacks
 * drive it, and its heartbeats and reconnects are tasks on the fleet's shared scheduler, so a
 * device costs a few objects, not a stack.
 */
final class SimulatedDevice {

  private static final int DEFAULT_HEARTBEAT_SECONDS = 30;
  private static final long MAX_RECONNECT_DELAY_MS = 30_000;

  private final EnrolledDevice identity;
  private final AgentServiceGrpc.AgentServiceStub stub;
  private final ScheduledExecutorService scheduler;
  private final FleetCounters counters;
  private final int heartbeatOverrideSeconds;
  private final DesiredStateApplier applier;

  // Guarded by this: heartbeats, progress and stream callbacks all send on the one stream.
  private ClientCallStreamObserver<AgentMessage> outbound;
  private ScheduledFuture<?> heartbeat;
  private int failedConnects;
  private boolean stopped;
  private volatile boolean connected;
  /** Set when the server said this device must not reconnect (decommissioned, replaced). */
  private volatile String givenUp;

  SimulatedDevice(EnrolledDevice identity, Channel channel, ScheduledExecutorService scheduler,
      FleetCounters counters, int heartbeatOverrideSeconds) {
    this.identity = identity;
    this.stub = AgentServiceGrpc.newStub(channel)
        .withInterceptors(new BearerCredentialInterceptor(identity.credential()));
    this.scheduler = scheduler;
    this.counters = counters;
    this.heartbeatOverrideSeconds = heartbeatOverrideSeconds;
    DesiredStateVerifier verifier = new DesiredStateVerifier(
        identity::root, identity.deviceId(), System::currentTimeMillis);
    this.applier = new DesiredStateApplier(
        verifier, identity.hardware(), stub, this::sendProgress, counters);
  }

  String deviceId() {
    return identity.deviceId();
  }

  boolean connected() {
    return connected;
  }

  DesiredStateApplier.Outcome outcome() {
    return givenUp != null ? DesiredStateApplier.Outcome.FAILED : applier.outcome();
  }

  void connect() {
    // Hello is built outside this device's lock: the applier reports progress while holding
    // its own lock, so taking the two in the other order here could deadlock.
    AgentMessage hello = AgentMessage.newBuilder().setHello(Hello.newBuilder()
        .setHardware(identity.hardware())
        .addAllInstalled(applier.installed())
        .setAcceptedGeneration(applier.acceptedGeneration())).build();
    synchronized (this) {
      if (stopped) {
        return;
      }
      outbound = (ClientCallStreamObserver<AgentMessage>) stub.sync(new Inbound());
      outbound.onNext(hello);
    }
  }

  /** The inbound half of one stream; a stale one (after a reconnect) only reports its end. */
  private final class Inbound implements StreamObserver<ServerMessage> {
    @Override
    public void onNext(ServerMessage message) {
      switch (message.getKindCase()) {
        case CONFIG -> configured(message.getConfig().getHeartbeatIntervalSeconds());
        case DESIRED_STATE -> applier.apply(message.getDesiredState());
        // Benchmarks and trials need a runtime to time things; a simulated device has none,
        // and the server copes with devices that never answer them.
        default -> { }
      }
    }

    @Override
    public void onError(Throwable error) {
      ended(Status.fromThrowable(error));
    }

    @Override
    public void onCompleted() {
      ended(Status.UNAVAILABLE.withDescription("server closed the stream"));
    }
  }

  private synchronized void configured(int serverSeconds) {
    if (stopped) {
      return; // a late message on a stream being cancelled; the scheduler may be gone
    }
    connected = true;
    failedConnects = 0;
    int seconds = heartbeatOverrideSeconds > 0 ? heartbeatOverrideSeconds
        : serverSeconds > 0 ? serverSeconds : DEFAULT_HEARTBEAT_SECONDS;
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    // A random first beat spreads thousands of devices over the interval instead of a burst.
    long periodMs = seconds * 1000L;
    heartbeat = scheduler.scheduleAtFixedRate(this::beat,
        ThreadLocalRandom.current().nextLong(periodMs), periodMs, TimeUnit.MILLISECONDS);
  }

  private void beat() {
    send(AgentMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()
        .setSentAtMs(System.currentTimeMillis())
        .addAllInstalled(applier.installed())).build());
    counters.heartbeats.increment();
  }

  private void sendProgress(DeploymentProgress progress) {
    send(AgentMessage.newBuilder().setProgress(progress).build());
  }

  /** Dropped when no stream is up: the next Hello and heartbeats carry the installed models. */
  private synchronized void send(AgentMessage message) {
    if (outbound != null) {
      outbound.onNext(message);
    }
  }

  private synchronized void ended(Status status) {
    connected = false;
    outbound = null;
    if (heartbeat != null) {
      heartbeat.cancel(false);
      heartbeat = null;
    }
    if (stopped) {
      return;
    }
    switch (status.getCode()) {
      // As the protocol says: the device is gone or another process took it over; retrying
      // would only fight the server.
      case UNAUTHENTICATED, ABORTED -> givenUp = status.getCode() + ": "
          + status.getDescription();
      default -> {
        counters.reconnects.increment();
        long ceiling = Math.min(MAX_RECONNECT_DELAY_MS, 500L << Math.min(failedConnects++, 6));
        long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
        scheduler.schedule(this::connect, delay, TimeUnit.MILLISECONDS);
      }
    }
  }

  /** Ends the stream on purpose; the server sees the device go offline. */
  synchronized void stop() {
    stopped = true;
    connected = false;
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    if (outbound != null) {
      outbound.cancel("simulator stopped", null);
      outbound = null;
    }
  }
}
