package dev.modelfleet.agent.session;

import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Applies desired states one at a time on a thread of their own, so the session keeps reading while
 * a model downloads; only the newest one matters: those that arrive while one is applied replace
 * each other, and only the last of them is applied next.
 */
final class NewestDesiredState implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger("modelfleet.sync");

  private final SyncSession.DesiredStateHandler handler;
  private final AtomicReference<SignedEnvelope> pending = new AtomicReference<>();
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(SyncSession.daemon("deploy"));

  NewestDesiredState(SyncSession.DesiredStateHandler handler) {
    this.handler = handler;
  }

  void offer(SignedEnvelope desiredState) {
    pending.set(desiredState);
    thread.execute(this::applyLatest);
  }

  private void applyLatest() {
    SignedEnvelope envelope = pending.getAndSet(null);
    if (envelope == null) {
      return;
    }
    try {
      handler.apply(envelope);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "applying a desired state failed unexpectedly", e);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
