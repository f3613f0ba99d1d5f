package dev.modelfleet.server.assignment;

import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Deployment reports from devices' streams, recorded by one thread in batches: whatever arrived
 * while the previous batch was being written goes in the next transaction, so a quiet server writes
 * each report at once and a busy one (a wave of a thousand devices all downloading, verifying and
 * activating) writes dozens per transaction instead of one. A device's reports keep their order:
 * one thread takes them off one queue.
 *
 * <p>Nothing is dropped, and order is kept when the queue is full: the stream's thread waits for
 * room, which slows that device's stream down (back-pressure) instead of writing its report past
 * the ones still queued. It did write it at once until a 50,000-device rollout filled the queue: a
 * device's "active" was written past its queued "verifying", which then overwrote it, and the
 * rollout waited for 1,317 devices that were serving. Only when no room comes within {@link
 * #FULL_WAIT} (the writer stuck, PostgreSQL away) is the report written on the stream's thread. A
 * batch that fails is retried a report at a time, and a report that still fails closes its device's
 * stream (the caller's {@code onFailure}), as a failed report always did: the device reconnects and
 * its Hello tells the server what it runs.
 */
@ApplicationScoped
public class ProgressIngest {

  private static final Logger LOG = Logger.getLogger(ProgressIngest.class);
  static final int CAPACITY = 20_000;
  private static final int BATCH = 200;
  static final java.time.Duration FULL_WAIT = java.time.Duration.ofSeconds(30);

  private record Pending(
      ProgressReport report, Consumer<RuntimeException> onFailure, Runnable onStored) {}

  private final DeploymentService deployments;
  private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(CAPACITY);
  private volatile Thread writer;
  private volatile boolean stopping;

  ProgressIngest(DeploymentService deployments) {
    this.deployments = deployments;
  }

  void start(@Observes StartupEvent started) {
    Thread thread = new Thread(this::run, "progress-ingest");
    thread.setDaemon(true);
    writer = thread;
    thread.start();
  }

  /** Writes what is still waiting, so a clean shutdown loses no report. */
  void stop(@Observes ShutdownEvent event) throws InterruptedException {
    stopping = true;
    Thread thread = writer;
    if (thread != null) {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    }
    drainAll();
  }

  /**
   * Queues a device's report; {@code onFailure} runs (on another thread) if it cannot be recorded.
   */
  public void submit(
      UUID deviceId, DeploymentProgress progress, Consumer<RuntimeException> onFailure) {
    submit(deviceId, progress, onFailure, () -> {});
  }

  /**
   * As {@link #submit(UUID, DeploymentProgress, Consumer)}; {@code onStored} runs once the
   * transaction that recorded the report (or found it a resend of one recorded) committed: what a
   * ReportAck may promise. A device's {@code onStored} calls come in the order of its reports.
   */
  public void submit(
      UUID deviceId,
      DeploymentProgress progress,
      Consumer<RuntimeException> onFailure,
      Runnable onStored) {
    Pending pending = new Pending(new ProgressReport(deviceId, progress), onFailure, onStored);
    if (writer == null || stopping || !enqueue(pending)) {
      write(List.of(pending));
    }
  }

  private boolean enqueue(Pending pending) {
    if (queue.offer(pending)) {
      return true;
    }
    try {
      if (queue.offer(pending, FULL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    LOG.warnf(
        "the deployment report queue stayed full for %d s (%d reports): writing a report of device"
            + " %s on its stream's thread; check that PostgreSQL is reachable and keeping up",
        FULL_WAIT.toSeconds(), CAPACITY, pending.report().deviceId());
    return false;
  }

  private void run() {
    List<Pending> batch = new ArrayList<>(BATCH);
    while (!stopping) {
      try {
        Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, BATCH - 1);
        write(batch);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.error("recording deployment reports failed", e); // write() handles its own failures
      } finally {
        batch.clear();
      }
    }
  }

  private void drainAll() {
    List<Pending> rest = new ArrayList<>();
    queue.drainTo(rest);
    for (int i = 0; i < rest.size(); i += BATCH) {
      write(rest.subList(i, Math.min(rest.size(), i + BATCH)));
    }
  }

  private void write(List<Pending> batch) {
    try {
      deployments.recordProgress(batch.stream().map(Pending::report).toList());
    } catch (RuntimeException batchFailed) {
      if (batch.size() == 1) {
        fail(batch.get(0), batchFailed);
        return;
      }
      // one bad report must not cost the others theirs
      for (Pending pending : batch) {
        try {
          deployments.recordProgress(List.of(pending.report()));
        } catch (RuntimeException e) {
          fail(pending, e);
          continue;
        }
        stored(pending);
      }
      return;
    }
    // committed: recordProgress is @Transactional and returned
    batch.forEach(ProgressIngest::stored);
  }

  private static void stored(Pending pending) {
    try {
      pending.onStored().run();
    } catch (RuntimeException e) {
      LOG.debug("acknowledging a stored report failed", e);
    }
  }

  private static void fail(Pending pending, RuntimeException e) {
    LOG.debugf(e, "could not record a report of device %s", pending.report().deviceId());
    try {
      pending.onFailure().accept(e);
    } catch (RuntimeException closing) {
      LOG.debug("closing the device's stream failed too", closing);
    }
  }
}
