package dev.modelfleet.server.quantization;

import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.artifact.StagedArtifact;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Rejected variants' files, kept so operators can download and inspect what failed: stored in the
 * artifact store when the variant is rejected, named by its {@code derived_variants} row (so the
 * garbage collector keeps them, see {@link RejectedVariantArtifacts}) until {@code
 * modelfleet.derivation.rejected-retention} has passed. Then a sweep, on every replica (it is one
 * idempotent update), clears the name, and the collector's next run removes the bytes.
 */
@ApplicationScoped
public class RejectedVariants {

  private static final Logger LOG = Logger.getLogger(RejectedVariants.class);

  private final ArtifactStore store;
  private final Clock clock;
  private final Duration retention;
  private ScheduledExecutorService sweeper;

  RejectedVariants(ArtifactStore store, Clock clock, DerivationConfig config) {
    this.store = store;
    this.clock = clock;
    this.retention = config.rejectedRetention();
  }

  void onStart(@Observes StartupEvent started) {
    if (retention.isZero() || retention.isNegative()) {
      return;
    }
    sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "rejected-variant-retention");
              t.setDaemon(true);
              return t;
            });
    // often enough that a file goes soon after its time, rarely enough to cost nothing
    long every = Math.max(1_000, Math.min(retention.toMillis() / 4, 600_000));
    sweeper.scheduleWithFixedDelay(this::sweep, every, every, TimeUnit.MILLISECONDS);
  }

  void onStop(@Observes ShutdownEvent stopping) {
    if (sweeper != null) {
      sweeper.shutdownNow();
    }
  }

  /**
   * Stores a rejected variant's bytes and records on {@code result} where and until when; does
   * nothing when retention is 0. A store that fails loses only the file, not the job's outcome.
   */
  void keep(DerivedVariant result, byte[] model) {
    if (retention.isZero() || retention.isNegative()) {
      return;
    }
    try {
      StagedArtifact staged = store.stage(new ByteArrayInputStream(model));
      try {
        store.commit(staged);
      } finally {
        store.discard(staged);
      }
      result.artifactSha256 = staged.sha256();
      result.retainedUntil = clock.instant().plus(retention);
    } catch (IOException | RuntimeException e) {
      LOG.warnf("could not keep the rejected %s variant's file: %s", result.kind, e.toString());
    }
  }

  /** Whether {@code d}'s file is kept and its time has not passed (the sweep may lag). */
  static boolean isKept(DerivedVariant d, Instant now) {
    return d.artifactSha256 != null && d.retainedUntil != null && now.isBefore(d.retainedUntil);
  }

  /** Releases every file whose time has passed at {@code now}; how many. */
  public int expire(Instant now) {
    return QuarkusTransaction.requiringNew()
        .call(
            () ->
                Panache.getEntityManager()
                    .createNativeQuery(
                        "update derived_variants set artifact_sha256 = null"
                            + " where artifact_sha256 is not null and retained_until <= ?1")
                    .setParameter(1, now)
                    .executeUpdate());
  }

  private void sweep() {
    try {
      int released = expire(clock.instant());
      if (released > 0) {
        LOG.infof("released %d rejected variant file(s) past their retention", released);
      }
    } catch (RuntimeException e) {
      LOG.warnf("rejected variant retention sweep failed (%s); the next one tries again", e);
    }
  }
}
