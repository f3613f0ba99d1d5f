package dev.modelfleet.agent.session;

import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Deployment reports made while no session is open (an offline site importing a bundle, a server
 * down), kept in the state directory and sent when the device next connects. Bounded: past {@code
 * capacity} the oldest go first, since the newest say what the device runs now (and every Hello
 * carries the installed models anyway).
 */
public final class OfflineReports {

  public static final String FILE = "offline-reports.pb";

  private static final Logger LOG = Logger.getLogger("modelfleet.sync");

  private final Path file;
  private final int capacity;
  private final Deque<DeploymentProgress> queued = new ArrayDeque<>();

  public OfflineReports(Path stateDir, int capacity) {
    this.file = stateDir.resolve(FILE);
    this.capacity = capacity;
    try (InputStream in = Files.exists(file) ? Files.newInputStream(file) : null) {
      if (in != null) {
        DeploymentProgress p;
        while ((p = DeploymentProgress.parseDelimitedFrom(in)) != null) {
          add(p, false);
        }
      }
    } catch (IOException e) {
      LOG.warning("queued offline reports in " + file + " unreadable, dropped: " + e.getMessage());
    }
  }

  /**
   * Keeps an outcome (active or failed); a step on the way (downloading, loading) is stale by the
   * time the device reconnects, and would only push outcomes out of the bounded queue.
   */
  public synchronized void add(DeploymentProgress progress) {
    if (progress.getState() != DeploymentState.DEPLOYMENT_STATE_ACTIVE
        && progress.getState() != DeploymentState.DEPLOYMENT_STATE_FAILED) {
      return;
    }
    add(progress, true);
  }

  private void add(DeploymentProgress progress, boolean persist) {
    queued.addLast(progress);
    while (queued.size() > capacity) {
      queued.removeFirst();
    }
    if (persist) {
      persist();
    }
  }

  public synchronized int size() {
    return queued.size();
  }

  /**
   * Hands every queued report to {@code send}, oldest first, and forgets each once {@code send}
   * returned: sent on an open session, it is as delivered as a live report. When {@code send}
   * throws (the session failed under it), that report and the ones after it stay queued for the
   * next session, and the exception goes on to the caller.
   */
  public synchronized void drain(Consumer<DeploymentProgress> send) {
    if (queued.isEmpty()) {
      return;
    }
    LOG.info("sending " + queued.size() + " report(s) queued while offline");
    try {
      while (!queued.isEmpty()) {
        send.accept(queued.peekFirst());
        queued.removeFirst();
      }
    } finally {
      persist();
    }
  }

  private void persist() {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (DeploymentProgress p : queued) {
        p.writeDelimitedTo(out);
      }
      SecureFiles.writeAtomically(file, out.toByteArray());
    } catch (IOException e) {
      LOG.warning("cannot persist offline reports to " + file + ": " + e.getMessage());
    }
  }
}
