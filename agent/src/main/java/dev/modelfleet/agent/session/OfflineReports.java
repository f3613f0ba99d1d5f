package dev.modelfleet.agent.session;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The device's outcome reports (active, failed) that the server has not acknowledged yet, kept in
 * the state directory: made while no session was open (an offline site importing a bundle, a server
 * down), or sent on a stream that broke before the server's ReportAck came. Each is numbered in
 * this queue (report_seq, with the queue's id in report_queue), so the server can tell a resend
 * from a new report. Bounded: past {@code capacity} the oldest go first, since the newest say what
 * the device runs now (and every Hello carries the installed models anyway).
 *
 * <p>File: the queue's id and the last number given (so numbers keep growing after every entry was
 * acknowledged, across restarts), then the numbered reports, length-delimited. A file from before
 * numbering ({@link #LEGACY_FILE}: the reports only) is numbered and moved over once.
 */
public final class OfflineReports {

  public static final String FILE = "report-queue.pb";
  static final String LEGACY_FILE = "offline-reports.pb";

  private static final Logger LOG = Logger.getLogger("modelfleet.sync");

  /**
   * Streams a report may be sent on without an acknowledgement before it is given up: a report the
   * server can never store closes each stream it is sent on, and acknowledgements are cumulative,
   * so without a limit it would hold back every report behind it for good.
   */
  static final int MAX_SENDS = 5;

  private final Path file;
  private final int capacity;
  private final Deque<DeploymentProgress> queued = new ArrayDeque<>();
  private String queueId;
  private long lastSeq;

  /** Per report number, the streams it went out on unacknowledged (since this agent started). */
  private final Map<Long, Integer> sends = new HashMap<>();

  public OfflineReports(Path stateDir, int capacity) {
    this.file = stateDir.resolve(FILE);
    this.capacity = capacity;
    if (!load()) {
      queueId = UUID.randomUUID().toString();
    }
    Path legacy = stateDir.resolve(LEGACY_FILE);
    if (Files.exists(legacy)) {
      try (InputStream in = Files.newInputStream(legacy)) {
        DeploymentProgress p;
        while ((p = DeploymentProgress.parseDelimitedFrom(in)) != null) {
          number(p);
        }
      } catch (IOException e) {
        LOG.warning("queued offline reports in " + legacy + " unreadable, dropped: " + e);
      }
      persist();
      try {
        Files.deleteIfExists(legacy);
      } catch (IOException e) {
        LOG.warning("cannot remove " + legacy + " after moving its reports: " + e.getMessage());
      }
    }
  }

  /** True when the file was there and read (entries that follow a damaged one are lost). */
  private boolean load() {
    if (!Files.exists(file)) {
      return false;
    }
    try (InputStream in = Files.newInputStream(file)) {
      CodedInputStream header = CodedInputStream.newInstance(in, 256);
      queueId = header.readString();
      lastSeq = header.readInt64();
      int headerLength = header.getTotalBytesRead();
      try (InputStream rest = Files.newInputStream(file)) {
        rest.skipNBytes(headerLength);
        DeploymentProgress p;
        while ((p = DeploymentProgress.parseDelimitedFrom(rest)) != null) {
          queued.addLast(p);
        }
      }
      trim();
      return !queueId.isEmpty();
    } catch (IOException e) {
      LOG.warning("queued reports in " + file + " unreadable, dropped: " + e.getMessage());
      // a new queue id: the numbers this device used before are unknown now
      queued.clear();
      lastSeq = 0;
      return false;
    }
  }

  /**
   * Keeps an outcome (active or failed), numbered, and returns it as it must be sent; null for a
   * step on the way (downloading, loading), which is stale by the time the device reconnects and
   * would only push outcomes out of the bounded queue.
   */
  public synchronized DeploymentProgress add(DeploymentProgress progress) {
    if (progress.getState() != DeploymentState.DEPLOYMENT_STATE_ACTIVE
        && progress.getState() != DeploymentState.DEPLOYMENT_STATE_FAILED) {
      return null;
    }
    DeploymentProgress numbered = number(progress);
    persist();
    return numbered;
  }

  private DeploymentProgress number(DeploymentProgress progress) {
    DeploymentProgress numbered =
        progress.toBuilder().setReportQueue(queueId).setReportSeq(++lastSeq).build();
    queued.addLast(numbered);
    trim();
    return numbered;
  }

  private void trim() {
    while (queued.size() > capacity) {
      queued.removeFirst();
    }
  }

  public synchronized int size() {
    return queued.size();
  }

  /** What is queued now, oldest first. */
  public synchronized List<DeploymentProgress> pending() {
    return new ArrayList<>(queued);
  }

  /**
   * Hands every queued report to {@code send}, oldest first, and keeps them: for a server that
   * acknowledges, a report is delivered only when {@link #acknowledge} says so. When {@code send}
   * throws (the session failed under it), the exception goes on to the caller.
   */
  public synchronized void resend(Consumer<DeploymentProgress> send) {
    giveUpOnUnstorable();
    if (!queued.isEmpty()) {
      LOG.info("sending " + queued.size() + " report(s) not yet acknowledged by the server");
    }
    for (DeploymentProgress p : queued) {
      sends.merge(p.getReportSeq(), 1, Integer::sum);
      send.accept(p);
    }
  }

  /** Drops the reports already sent {@link #MAX_SENDS} times without an acknowledgement. */
  private void giveUpOnUnstorable() {
    boolean dropped =
        queued.removeIf(
            p -> {
              if (sends.getOrDefault(p.getReportSeq(), 0) < MAX_SENDS) {
                return false;
              }
              LOG.warning(
                  "report #"
                      + p.getReportSeq()
                      + " ("
                      + p.getModel()
                      + " "
                      + p.getVersion()
                      + " "
                      + p.getState()
                      + ") was sent "
                      + MAX_SENDS
                      + " times and never acknowledged: given up (the next Hello says what the"
                      + " device runs)");
              sends.remove(p.getReportSeq());
              return true;
            });
    if (dropped) {
      persist();
    }
  }

  /**
   * The server stored every report up to and including ({@code queue}, {@code seq}): they are
   * forgotten. An ack for another queue or for a report no longer held changes nothing.
   */
  public synchronized void acknowledge(String queue, long seq) {
    if (!queueId.equals(queue) || queued.isEmpty() || queued.peekFirst().getReportSeq() > seq) {
      return;
    }
    while (!queued.isEmpty() && queued.peekFirst().getReportSeq() <= seq) {
      sends.remove(queued.removeFirst().getReportSeq());
    }
    persist();
  }

  /**
   * For a server that does not acknowledge (one from before ReportAck): hands every queued report
   * to {@code send}, oldest first, and forgets each once {@code send} returned, as agents did
   * before acknowledgements. When {@code send} throws (the session failed under it), that report
   * and the ones after it stay queued for the next session, and the exception goes on to the
   * caller.
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
      CodedOutputStream header = CodedOutputStream.newInstance(out, 64);
      header.writeStringNoTag(queueId);
      header.writeInt64NoTag(lastSeq);
      header.flush();
      for (DeploymentProgress p : queued) {
        p.writeDelimitedTo(out);
      }
      SecureFiles.writeAtomically(file, out.toByteArray());
    } catch (IOException e) {
      LOG.warning("cannot persist queued reports to " + file + ": " + e.getMessage());
    }
  }
}
