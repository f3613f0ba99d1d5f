package dev.modelfleet.agent.download;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * Starts putting a download on disk while it still runs. A downloaded artifact must be on disk
 * before the agent's state can name it (a power cut must not leave a model the disk never got), so
 * every download ends with an fsync. Left to the end, that fsync writes the whole file while the
 * download waits: about 90 ms for 100 MB here, half as long again as the transfer itself on a fast
 * link. Asked every {@link #WINDOW} bytes from a thread of its own, the disk writes the file behind
 * the network and the last fsync has only the tail to write (23–47 ms for 100 MB).
 *
 * <p>An artifact smaller than the window never starts the thread. A background fsync that fails is
 * not reported: the final one, which the caller makes in any case, fails the same way.
 */
final class EarlyWriteback implements AutoCloseable {

  /** Bytes written between two background fsyncs. */
  static final long WINDOW = 16L << 20;

  private final FileChannel channel;
  private long nextAt;
  private Thread flusher;
  private boolean flushing;
  private boolean closed;
  private long flushes;

  /**
   * @param position where the attempt starts writing (a resumed download's earlier bytes went to
   *     disk with the attempt that wrote them)
   */
  EarlyWriteback(FileChannel channel, long position) {
    this.channel = channel;
    this.nextAt = position + WINDOW;
  }

  /** Tells it the file now holds {@code position} bytes; cheap, called after every write. */
  synchronized void written(long position) {
    if (position < nextAt || flushing || closed) {
      return;
    }
    nextAt = position + WINDOW;
    flushing = true;
    if (flusher == null) {
      flusher = new Thread(this::flushWhenAsked, "artifact-writeback");
      flusher.setDaemon(true);
      flusher.start();
    } else {
      notifyAll();
    }
  }

  /** Background fsyncs done so far. */
  synchronized long flushes() {
    return flushes;
  }

  private void flushWhenAsked() {
    while (true) {
      synchronized (this) {
        while (!flushing && !closed) {
          try {
            wait();
          } catch (InterruptedException e) {
            flushing = false;
            notifyAll();
            return;
          }
        }
        if (!flushing) {
          return; // closed, nothing asked for
        }
      }
      try {
        channel.force(false);
      } catch (IOException e) {
        // The caller's own fsync at the end fails the same way and says so.
      }
      synchronized (this) {
        flushing = false;
        flushes++;
        notifyAll();
      }
    }
  }

  /** Waits for a background fsync still running, then stops the thread. */
  @Override
  public synchronized void close() {
    closed = true;
    notifyAll();
    boolean interrupted = false;
    while (flushing) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
