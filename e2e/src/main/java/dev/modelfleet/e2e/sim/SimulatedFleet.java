package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.sync.AgentChannels;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.v1.AgentServiceGrpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Many simulated devices in one process, speaking the real agent protocol to a real server:
 * for load tests and demos. All devices share one gRPC channel (HTTP/2 multiplexes their
 * streams) and one small scheduler; none has a thread of its own.
 *
 * <p>Run: {@code java -cp e2e/target/modelfleet-e2e.jar:agent/target/modelfleet-agent.jar
 * dev.modelfleet.e2e.sim.SimulatedFleet --server host:9000 --token T --devices 1000}
 */
public final class SimulatedFleet implements AutoCloseable {

  /** Enough parallel Enrolls to keep the server busy without queueing thousands at once. */
  private static final int MAX_ENROLLS_IN_FLIGHT = 64;
  /** Enrollment refusals printed in full; the rest are only counted, to keep stderr readable. */
  private static final int REFUSALS_SHOWN = 5;

  private final SimulatorOptions options;
  private final PrintStream display;
  private final ManagedChannel channel;
  private final ScheduledExecutorService scheduler;
  private final FleetCounters counters = new FleetCounters();
  private final Queue<SimulatedDevice> devices = new ConcurrentLinkedQueue<>();
  private final Semaphore enrollSlots = new Semaphore(MAX_ENROLLS_IN_FLIGHT);
  private final AtomicInteger refusalsShown = new AtomicInteger();
  private final Thread enrollLoop;
  private final long startedNanos = System.nanoTime();
  private long heartbeatsAtLastLine;
  private volatile boolean closed;

  private SimulatedFleet(SimulatorOptions options, PrintStream display, byte[] rootKey) {
    this.options = options;
    this.display = display;
    this.channel = AgentChannels.plaintext(options.server());
    this.scheduler = Executors.newScheduledThreadPool(
        Math.max(2, Runtime.getRuntime().availableProcessors() / 2), runnable -> {
          Thread thread = new Thread(runnable, "sim-scheduler");
          thread.setDaemon(true);
          return thread;
        });
    DeviceEnroller enroller = new DeviceEnroller(
        AgentServiceGrpc.newStub(channel), scheduler, options.token(), rootKey);
    this.enrollLoop = new Thread(() -> enrollAll(enroller), "sim-enroll");
    this.enrollLoop.setDaemon(true);
  }

  /** Starts enrolling in the background and prints a progress line to {@code display} each second. */
  public static SimulatedFleet start(SimulatorOptions options, PrintStream display)
      throws IOException {
    byte[] rootKey = options.rootKey() == null ? null : Ed25519.readPublicKeyPem(options.rootKey());
    if (rootKey == null) {
      display.println("[sim] no --root-key: trusting the root metadata the server sends"
          + " (trust on first use)");
    }
    SimulatedFleet fleet = new SimulatedFleet(options, display, rootKey);
    fleet.enrollLoop.start();
    fleet.scheduler.scheduleAtFixedRate(fleet::printProgress, 1, 1, TimeUnit.SECONDS);
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
      enroller.enroll(name, HardwareProfiles.forDevice(i, options.profiles(), name),
          this::enrolled, this::refused);
    }
  }

  private void enrolled(EnrolledDevice identity) {
    enrollSlots.release();
    counters.enrolled.increment();
    SimulatedDevice device = new SimulatedDevice(
        identity, channel, scheduler, counters, options.heartbeatSeconds());
    devices.add(device);
    if (closed) {
      device.stop();
    } else {
      device.connect();
    }
  }

  private void refused(String reason) {
    enrollSlots.release();
    counters.enrollFailed.increment();
    if (refusalsShown.incrementAndGet() <= REFUSALS_SHOWN) {
      display.println("[sim] " + reason);
    }
  }

  public FleetSnapshot snapshot() {
    int connected = 0;
    int active = 0;
    int failed = 0;
    for (SimulatedDevice device : devices) {
      connected += device.connected() ? 1 : 0;
      switch (device.outcome()) {
        case ACTIVE -> active++;
        case FAILED -> failed++;
        default -> { }
      }
    }
    return new FleetSnapshot(options.devices(), counters.enrolled.sum(),
        counters.enrollFailed.sum(), connected, active, failed, counters.heartbeats.sum(),
        counters.downloads.sum(), counters.reconnects.sum());
  }

  /** The ids the server gave the devices enrolled so far. */
  public List<String> deviceIds() {
    List<String> ids = new ArrayList<>();
    devices.forEach(device -> ids.add(device.deviceId()));
    return ids;
  }

  private synchronized void printProgress() {
    FleetSnapshot now = snapshot();
    // Called once a second by the scheduler, so the difference is per second (near enough).
    double perSecond = now.heartbeats() - heartbeatsAtLastLine;
    heartbeatsAtLastLine = now.heartbeats();
    display.println(now.line(elapsedSeconds(), perSecond));
  }

  private long elapsedSeconds() {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos);
  }

  /** Ends every stream (the server sees the devices go offline) and the channel. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    enrollLoop.interrupt();
    devices.forEach(SimulatedDevice::stop);
    scheduler.shutdownNow();
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
    display.println(snapshot().line(elapsedSeconds(), 0) + "  (stopped)");
  }

  public static void main(String[] args) throws Exception {
    SimulatorOptions options;
    try {
      options = SimulatorOptions.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(SimulatorOptions.USAGE);
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
