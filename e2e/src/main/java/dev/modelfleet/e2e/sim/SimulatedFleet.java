package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.tls.TlsIdentityStore;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import java.io.IOException;
import java.io.PrintStream;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many simulated devices in one process, speaking the real agent protocol to real servers: for load
 * tests, demos, and the rollout engine's tests and benchmarks. Devices are spread over the server
 * replicas round-robin; all devices of a replica share one gRPC channel, all heartbeats and
 * reconnects run on one small scheduler, and downloads on a bounded pool, so no device has a thread
 * of its own.
 *
 * <p>From code: {@link #start(SimulatorOptions, PrintStream)}, then {@link #snapshot()}, {@link
 * #deviceIds()}, {@link #behave(VersionBehaviour)} and {@link #close()}. From the command line:
 * {@code java -cp
 * "e2e/target/modelfleet-e2e.jar:e2e/target/lib/*:agent/target/modelfleet-agent.jar"
 * dev.modelfleet.e2e.sim.SimulatedFleet --server host:9000 --token T --devices 1000}
 */
public final class SimulatedFleet implements AutoCloseable {

  /** Enough parallel Enrolls to keep the server busy without queueing thousands at once. */
  private static final int MAX_ENROLLS_IN_FLIGHT = 64;

  /** Enrollment refusals printed in full; the rest are only counted, to keep stderr readable. */
  private static final int REFUSALS_SHOWN = 5;

  private final SimulatorOptions options;
  private final PrintStream display;
  private final List<FleetServer> servers = new ArrayList<>();
  private final ScheduledExecutorService scheduler;
  private final FleetCounters counters = new FleetCounters();
  private final Behaviours behaviours;
  private final ArtifactDownloads downloads;
  private final FleetServices services;
  private final Queue<SimulatedDevice> devices = new ConcurrentLinkedQueue<>();
  private final Semaphore enrollSlots = new Semaphore(MAX_ENROLLS_IN_FLIGHT);
  private final AtomicInteger refusalsShown = new AtomicInteger();
  private final Thread enrollLoop;
  private final long startedNanos = System.nanoTime();
  private FleetSnapshot lastLine;
  private volatile boolean closed;

  private SimulatedFleet(SimulatorOptions options, PrintStream display, byte[] rootKey)
      throws IOException {
    this.options = options;
    this.display = display;
    this.downloads =
        new ArtifactDownloads(
            options.downloadPath(), options.downloadDir(), options.downloadConcurrency(), counters);
    List<X509Certificate> fleetCa =
        options.serverCa() == null ? null : TlsIdentityStore.readCertificates(options.serverCa());
    options.servers().forEach(target -> servers.add(FleetServer.connect(target, fleetCa)));
    this.scheduler =
        Executors.newScheduledThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors() / 2),
            runnable -> {
              Thread thread = new Thread(runnable, "sim-scheduler");
              thread.setDaemon(true);
              return thread;
            });
    this.behaviours = new Behaviours(options.behaviours());
    this.services =
        new FleetServices(
            List.copyOf(servers),
            scheduler,
            counters,
            behaviours,
            downloads,
            options.heartbeatMillis(),
            options.requestsPerHeartbeat());
    DeviceEnroller enroller =
        new DeviceEnroller(
            servers.stream().map(s -> AgentServiceGrpc.newStub(s.channel())).toList(),
            scheduler,
            options.token(),
            rootKey,
            options.mutualTls());
    this.enrollLoop = new Thread(() -> enrollAll(enroller), "sim-enroll");
    this.enrollLoop.setDaemon(true);
  }

  /** Starts enrolling in the background; nothing is printed. */
  public static SimulatedFleet start(SimulatorOptions options) throws IOException {
    return start(options, null);
  }

  /**
   * Starts enrolling in the background and, unless {@code display} is null, prints a progress line
   * to it each second and a summary when closed.
   */
  public static SimulatedFleet start(SimulatorOptions options, PrintStream display)
      throws IOException {
    byte[] rootKey = options.rootKey() == null ? null : Ed25519.readPublicKeyPem(options.rootKey());
    SimulatedFleet fleet = new SimulatedFleet(options, display, rootKey);
    if (rootKey == null) {
      fleet.print(
          "[sim] no --root-key: trusting the root metadata the server sends"
              + " (trust on first use)");
    }
    fleet.enrollLoop.start();
    if (display != null) {
      fleet.scheduler.scheduleAtFixedRate(fleet::printProgress, 1, 1, TimeUnit.SECONDS);
    }
    return fleet;
  }

  private void enrollAll(DeviceEnroller enroller) {
    for (int i = 0; i < options.devices() && !closed; i++) {
      try {
        enrollSlots.acquire();
      } catch (InterruptedException e) {
        return;
      }
      String name = String.format("%s-%05d", options.namePrefix(), i);
      enroller.enroll(
          name,
          HardwareProfiles.forDevice(i, options.profiles(), name),
          i % servers.size(),
          this::enrolled,
          this::refused,
          reason -> FleetCounters.count(counters.enrollAttemptsFailed, reason));
    }
  }

  private void enrolled(EnrolledDevice identity) {
    enrollSlots.release();
    counters.enrolled.increment();
    SimulatedDevice device = new SimulatedDevice(identity, services);
    devices.add(device);
    if (closed) {
      device.stop();
    } else {
      device.connect();
    }
  }

  private void refused(DeviceEnroller.Refusal refusal) {
    enrollSlots.release();
    counters.enrollFailed.increment();
    FleetCounters.count(counters.enrollRefused, refusal.reason());
    String reason = refusal.detail();
    if (refusalsShown.incrementAndGet() <= REFUSALS_SHOWN) {
      print("[sim] " + reason);
    }
  }

  /**
   * Puts a behaviour in force for its model version from now on, replacing the one written for the
   * same model and version: traffic figures change at each device's next heartbeat, install
   * failures and silence with the next desired state a device receives.
   */
  public void behave(VersionBehaviour behaviour) {
    behaviours.put(behaviour);
  }

  public List<VersionBehaviour> behaviours() {
    return behaviours.all();
  }

  public FleetSnapshot snapshot() {
    int connected = 0;
    int active = 0;
    int failed = 0;
    int silent = 0;
    Map<String, Integer> versions = new HashMap<>();
    for (SimulatedDevice device : devices) {
      connected += device.connected() ? 1 : 0;
      switch (device.outcome()) {
        case ACTIVE -> active++;
        case FAILED -> failed++;
        case SILENT -> silent++;
        default -> {}
      }
      device.activeVersions().forEach(version -> versions.merge(version, 1, Integer::sum));
    }
    return new FleetSnapshot(
        options.devices(),
        counters.enrolled.sum(),
        counters.enrollFailed.sum(),
        connected,
        active,
        failed,
        silent,
        counters.heartbeats.sum(),
        counters.downloads.sum(),
        counters.httpDownloads.sum(),
        counters.grpcDownloads.sum(),
        counters.httpFallbacks.sum(),
        counters.bytesDownloaded.sum(),
        counters.reconnects.sum(),
        counters.failovers.sum(),
        versions,
        FleetCounters.sums(counters.enrollAttemptsFailed),
        FleetCounters.sums(counters.enrollRefused));
  }

  /** The ids the server gave the devices enrolled so far. */
  public List<String> deviceIds() {
    List<String> ids = new ArrayList<>();
    devices.forEach(device -> ids.add(device.deviceId()));
    return ids;
  }

  /** The ids of the devices whose latest stream went to that gRPC address. */
  /**
   * When each device received its latest desired-state document, by device id (devices that
   * received none are left out): lets a test measure how fast changes reach devices.
   */
  public java.util.Map<String, java.time.Instant> lastDesiredStateReceipts() {
    java.util.Map<String, java.time.Instant> receipts = new java.util.HashMap<>();
    devices.forEach(
        device -> {
          if (device.lastDesiredStateAt() != null) {
            receipts.put(device.deviceId(), device.lastDesiredStateAt());
          }
        });
    return receipts;
  }

  public List<String> deviceIdsOn(String serverTarget) {
    List<String> ids = new ArrayList<>();
    devices.forEach(
        device -> {
          if (device.serverTarget().equals(serverTarget)) {
            ids.add(device.deviceId());
          }
        });
    return ids;
  }

  private synchronized void printProgress() {
    FleetSnapshot now = snapshot();
    // Called once a second by the scheduler, so the difference is per second (near enough).
    double heartbeats =
        lastLine == null ? now.heartbeats() : now.heartbeats() - lastLine.heartbeats();
    long bytes =
        lastLine == null
            ? now.bytesDownloaded()
            : now.bytesDownloaded() - lastLine.bytesDownloaded();
    lastLine = now;
    print(now.line(elapsedNanos() / 1_000_000_000L, heartbeats, FleetSnapshot.megabytes(bytes)));
  }

  private void print(String line) {
    if (display != null) {
      display.println(line);
    }
  }

  private long elapsedNanos() {
    return System.nanoTime() - startedNanos;
  }

  /** Ends every stream (the server sees the devices go offline), the downloads and channels. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    // The fleet as it ran, not as it looks once every stream is ended.
    FleetSnapshot last = snapshot();
    double seconds = elapsedNanos() / 1e9;
    enrollLoop.interrupt();
    devices.forEach(SimulatedDevice::stop);
    scheduler.shutdownNow();
    downloads.close();
    servers.forEach(FleetServer::close);
    print(last.summary(seconds));
  }

  public static void main(String[] args) throws Exception {
    SimulatorOptions options;
    try {
      options = SimulatorOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(SimulatorCommandLine.USAGE);
      System.exit(2);
      return;
    }
    SimulatedFleet fleet = start(options, System.err);
    Runtime.getRuntime().addShutdownHook(new Thread(fleet::close, "sim-shutdown"));
    if (options.durationSeconds() > 0) {
      Thread.sleep(TimeUnit.SECONDS.toMillis(options.durationSeconds()));
      fleet.close();
    } else {
      Thread.currentThread().join(); // until Ctrl-C; the shutdown hook stops the devices
    }
  }
}
