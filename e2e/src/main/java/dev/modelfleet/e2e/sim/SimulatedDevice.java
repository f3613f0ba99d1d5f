package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.tls.DeviceTlsContext;
import dev.modelfleet.agent.transport.grpc.BearerCredentialInterceptor;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.InstalledModel;
import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocketFactory;

/**
 * One simulated device's Sync session on its server's shared channel. It owns no thread: gRPC
 * callbacks drive it, and its heartbeats and reconnects are tasks on the fleet's shared scheduler,
 * so a device costs a few objects, not a stack. When its stream is lost it reconnects to the next
 * server address, so a killed replica's devices move to the others.
 */
final class SimulatedDevice {

  private static final int DEFAULT_HEARTBEAT_SECONDS = 30;
  private static final long MAX_RECONNECT_DELAY_MS = 30_000;

  private final EnrolledDevice identity;
  private final FleetServices fleet;
  private final BearerCredentialInterceptor credential;
  private final ServingCounters serving = new ServingCounters();
  private final DesiredStateApplier applier;

  // Guarded by this: heartbeats, progress and stream callbacks all send on the one stream.
  private int serverIndex;
  private ClientCallStreamObserver<AgentMessage> outbound;
  private ScheduledFuture<?> heartbeat;
  private int failedConnects;
  private boolean stopped;

  /** Read by downloads, which start under the applier's lock and must not take this one. */
  private volatile FleetServer server;

  private volatile URI artifactBase;

  /**
   * Under mutual TLS: this device's own channel to each server it talked to, with its certificate
   * (the shared channel has none). Plaintext devices share their server's channel.
   */
  private final Map<String, ManagedChannel> ownChannels = new ConcurrentHashMap<>();

  /** Under mutual TLS: the device certificate towards the server's HTTPS artifact port. */
  private volatile SSLSocketFactory httpsTls;

  /** Addresses in object storage the server gave for artifacts (sha256 → presigned URL). */
  private final java.util.Map<String, String> directUrls =
      new java.util.concurrent.ConcurrentHashMap<>();

  private volatile boolean connected;

  /** When the latest desired-state document arrived on the stream; null before the first. */
  private volatile java.time.Instant lastDesiredStateAt;

  /** Set when the server said this device must not reconnect (decommissioned, replaced). */
  private volatile String givenUp;

  SimulatedDevice(EnrolledDevice identity, FleetServices fleet) {
    this.identity = identity;
    this.fleet = fleet;
    this.serverIndex = identity.server() % fleet.servers().size();
    this.server = fleet.servers().get(serverIndex);
    this.credential = new BearerCredentialInterceptor(identity.credential());
    DesiredStateVerifier verifier =
        new DesiredStateVerifier(identity::root, identity.deviceId(), System::currentTimeMillis);
    this.applier =
        new DesiredStateApplier(
            verifier,
            identity.hardware(),
            identity.deviceId(),
            this::download,
            this::sendProgress,
            fleet.behaviours(),
            serving);
  }

  java.time.Instant lastDesiredStateAt() {
    return lastDesiredStateAt;
  }

  String deviceId() {
    return identity.deviceId();
  }

  boolean connected() {
    return connected;
  }

  /** The gRPC address this device talks to now. */
  String serverTarget() {
    return server.target();
  }

  DesiredStateApplier.Outcome outcome() {
    return givenUp != null ? DesiredStateApplier.Outcome.FAILED : applier.outcome();
  }

  List<String> activeVersions() {
    return applier.activeVersions();
  }

  void connect() {
    // Hello is built outside this device's lock: the applier reports progress while holding
    // its own lock, so taking the two in the other order here could deadlock.
    AgentMessage hello =
        AgentMessage.newBuilder()
            .setHello(
                Hello.newBuilder()
                    .setHardware(identity.hardware())
                    .addAllInstalled(applier.installed())
                    .setAcceptedGeneration(applier.acceptedGeneration()))
            .build();
    synchronized (this) {
      if (stopped) {
        return;
      }
      FleetServer target = fleet.servers().get(serverIndex);
      server = target;
      outbound =
          (ClientCallStreamObserver<AgentMessage>)
              AgentServiceGrpc.newStub(channelTo(target))
                  .withInterceptors(credential)
                  .sync(new Inbound(target));
      outbound.onNext(hello);
    }
  }

  /** The inbound half of one stream, on one server. */
  private final class Inbound implements StreamObserver<ServerMessage> {
    private final FleetServer server;

    Inbound(FleetServer server) {
      this.server = server;
    }

    @Override
    public void onNext(ServerMessage message) {
      switch (message.getKindCase()) {
        case CONFIG -> configured(message.getConfig(), server);
        // sent just before the desired state that names the artifacts
        case ARTIFACT_URLS ->
            message
                .getArtifactUrls()
                .getUrlsList()
                .forEach(url -> directUrls.put(url.getSha256(), url.getUrl()));
        case DESIRED_STATE -> {
          lastDesiredStateAt = java.time.Instant.now();
          applier.apply(message.getDesiredState());
        }
        // Benchmarks and trials need a runtime to time things; a simulated device has none,
        // and the server copes with devices that never answer them.
        default -> {}
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

  private synchronized void configured(SyncConfig config, FleetServer from) {
    if (stopped) {
      return; // a late message on a stream being cancelled; the scheduler may be gone
    }
    connected = true;
    failedConnects = 0;
    artifactBase = ArtifactDownloads.announcedBase(config, from.host(), from.mutualTls());
    long periodMs =
        fleet.heartbeatOverrideMillis() > 0
            ? fleet.heartbeatOverrideMillis()
            : 1000L
                * (config.getHeartbeatIntervalSeconds() > 0
                    ? config.getHeartbeatIntervalSeconds()
                    : DEFAULT_HEARTBEAT_SECONDS);
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    // A random first beat spreads thousands of devices over the interval instead of a burst.
    heartbeat =
        fleet
            .scheduler()
            .scheduleAtFixedRate(
                this::beat,
                ThreadLocalRandom.current().nextLong(periodMs),
                periodMs,
                TimeUnit.MILLISECONDS);
  }

  private void beat() {
    if (applier.silent()) {
      return;
    }
    List<InstalledModel> installed = applier.installed();
    List<ModelCounters> figures = serving.beat(fleet.requestsPerHeartbeat(), fleet.behaviours());
    boolean sent =
        send(
            AgentMessage.newBuilder()
                .setHeartbeat(
                    Heartbeat.newBuilder()
                        .setSentAtMs(System.currentTimeMillis())
                        .addAllInstalled(installed)
                        .addAllCounters(figures))
                .build());
    if (sent) {
      fleet.counters().heartbeats.increment();
    }
  }

  private void download(VariantManifest manifest, DownloadOutcome outcome) {
    FleetServer from = server;
    fleet
        .downloads()
        .start(
            new ArtifactDownloads.Source(
                identity.deviceId(),
                identity.credential(),
                AgentServiceGrpc.newBlockingStub(channelTo(from)).withInterceptors(credential),
                artifactBase,
                directUrls.get(manifest.getSha256()),
                from.mutualTls() ? httpsTls(from) : null),
            manifest,
            outcome);
  }

  private ManagedChannel channelTo(FleetServer target) {
    if (!target.mutualTls()) {
      return target.channel();
    }
    return ownChannels.computeIfAbsent(target.target(), t -> target.deviceChannel(identity.tls()));
  }

  private SSLSocketFactory httpsTls(FleetServer from) {
    SSLSocketFactory tls = httpsTls;
    if (tls == null) {
      try {
        // one per device, kept: connections with its certificate are reused between downloads
        tls = DeviceTlsContext.socketFactory(from.fleetCa(), identity.tls());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      httpsTls = tls;
    }
    return tls;
  }

  private void sendProgress(DeploymentProgress progress) {
    send(AgentMessage.newBuilder().setProgress(progress).build());
  }

  /**
   * Dropped when no stream is up (the next Hello and heartbeats carry the installed models) or
   * while a behaviour keeps the device silent.
   */
  private synchronized boolean send(AgentMessage message) {
    if (outbound == null || applier.silent()) {
      return false;
    }
    outbound.onNext(message);
    return true;
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
      case UNAUTHENTICATED, ABORTED -> givenUp = status.getCode() + ": " + status.getDescription();
      default -> {
        fleet.counters().reconnects.increment();
        if (fleet.servers().size() > 1) {
          // The replica may be gone for good; the next one has the same database.
          serverIndex = (serverIndex + 1) % fleet.servers().size();
          fleet.counters().failovers.increment();
        }
        long ceiling = Math.min(MAX_RECONNECT_DELAY_MS, 500L << Math.min(failedConnects++, 6));
        long delay = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
        try {
          fleet.scheduler().schedule(this::connect, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
          // The fleet is closing; there is nothing to reconnect for.
        }
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
    ownChannels.values().forEach(ManagedChannel::shutdownNow);
  }
}
