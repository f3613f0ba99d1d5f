package dev.modelfleet.server.artifact;

import dev.modelfleet.server.common.ApiError;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * Garbage collection of the artifact store: removes stored artifacts that no variant names (of any
 * version, revoked ones included: a device may be rolled back to them) once they are older than the
 * grace period, and uploads begun before it that never finished.
 *
 * <p>The grace period is what keeps an upload in flight safe: its bytes reach the store before its
 * row is committed, so a young unreferenced artifact may be about to be named. Each removal is then
 * decided again under the artifact's own lock (the one an upload takes to record it) against the
 * committed rows, so an upload that records the same bytes meanwhile either wins (the artifact
 * stays) or finds them gone and is refused with "upload again"; never a row without its bytes.
 *
 * <p>One replica at a time: a run holds a PostgreSQL session advisory lock, and a replica that
 * finds it taken skips its turn (released at the end of the run, or when its connection dies).
 */
@ApplicationScoped
public class ArtifactCollector {

  private static final Logger LOG = Logger.getLogger(ArtifactCollector.class);

  /** "mfartgc": the advisory lock one collecting replica holds. */
  static final long LOCK = 0x6d_6661_7274_6763L;

  private final ArtifactStore store;
  private final ArtifactGcConfig config;
  private final AgroalDataSource dataSource;

  /** Every artifact some feature names ({@link ArtifactReferences}), as one query. */
  private final String namedQuery;

  private final Clock clock;
  private final Counter collected;
  private final Counter freedBytes;
  private final Counter uploadsPurged;
  private final Counter failures;
  private ScheduledExecutorService scheduler;

  ArtifactCollector(
      ArtifactStore store,
      ArtifactGcConfig config,
      AgroalDataSource dataSource,
      Clock clock,
      MeterRegistry registry,
      Instance<ArtifactReferences> references) {
    this.store = store;
    this.namedQuery =
        references.stream()
            .map(r -> "(" + r.namedArtifactsQuery() + ")")
            .collect(Collectors.joining(" union all "));
    this.config = config;
    this.dataSource = dataSource;
    this.clock = clock;
    this.collected =
        Counter.builder("modelfleet.artifact.gc.collected")
            .description("Unreferenced artifacts removed from the store by this replica")
            .register(registry);
    this.freedBytes =
        Counter.builder("modelfleet.artifact.gc.freed")
            .baseUnit("bytes")
            .description("Bytes of the unreferenced artifacts this replica removed")
            .register(registry);
    this.uploadsPurged =
        Counter.builder("modelfleet.artifact.gc.unfinished.uploads")
            .description("Unfinished uploads (staged files, multipart uploads) removed")
            .register(registry);
    this.failures =
        Counter.builder("modelfleet.artifact.gc.failures")
            .description("Collection runs, or single removals, that failed (retried next run)")
            .register(registry);
  }

  /**
   * What one run found and did. {@code ran} is false when another replica was collecting; a dry run
   * lists what would go and removes nothing (nor counts unfinished uploads).
   */
  public record Run(
      boolean ran,
      boolean dryRun,
      Instant olderThan,
      int stored,
      int referenced,
      int keptYoung,
      List<String> collected,
      long collectedBytes,
      int failed,
      int unfinishedUploads,
      long unfinishedUploadBytes) {

    static Run skipped(boolean dryRun, Instant olderThan) {
      return new Run(false, dryRun, olderThan, 0, 0, 0, List.of(), 0, 0, 0, 0);
    }
  }

  void start(@Observes StartupEvent started) {
    if (!config.enabled()) {
      return;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "artifact-gc");
              thread.setDaemon(true);
              return thread;
            });
    long periodMs = Math.max(1_000, config.interval().toMillis());
    // not at once: a starting replica has other work, and nothing is urgent
    scheduler.scheduleWithFixedDelay(
        this::collectQuietly, periodMs, periodMs, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent stopping) {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  private void collectQuietly() {
    try {
      collect(false);
    } catch (RuntimeException e) {
      // counted and logged in collect; the next run tries again
    }
  }

  /** Collects now, with the configured grace period, unless another replica is collecting. */
  public Run collect(boolean dryRun) {
    return collect(clock.instant().minus(config.grace()), dryRun);
  }

  /** Collects what is older than {@code cutoff}: unreferenced artifacts and unfinished uploads. */
  Run collect(Instant cutoff, boolean dryRun) {
    long started = System.nanoTime();
    try (Connection connection = dataSource.getConnection()) {
      if (!tryLock(connection)) {
        LOG.debugf("artifact garbage collection skipped: another replica is collecting");
        return Run.skipped(dryRun, cutoff);
      }
      try {
        Run run = collectLocked(connection, cutoff, dryRun);
        LOG.infof(
            "artifact garbage collection%s: %d stored, %d referenced, %d unreferenced but written"
                + " after %s kept, %d %s (%d bytes), %d failed, %d unfinished upload(s) removed"
                + " (%d bytes), in %d ms",
            dryRun ? " (dry run)" : "",
            run.stored(),
            run.referenced(),
            run.keptYoung(),
            cutoff,
            run.collected().size(),
            dryRun ? "would go" : "removed",
            run.collectedBytes(),
            run.failed(),
            run.unfinishedUploads(),
            run.unfinishedUploadBytes(),
            (System.nanoTime() - started) / 1_000_000);
        return run;
      } finally {
        unlock(connection);
      }
    } catch (IOException e) {
      failures.increment();
      LOG.warnf("artifact garbage collection failed (%s); the next run tries again", e.toString());
      throw ApiError.STORAGE_UNAVAILABLE.exception(
          "The artifact store could not be read to collect garbage; what was removed before the"
              + " failure stays removed, the rest waits for the next run. Try again later.");
    } catch (SQLException e) {
      failures.increment();
      LOG.warnf("artifact garbage collection failed (%s); the next run tries again", e.toString());
      throw new IllegalStateException("artifact garbage collection failed: " + e.getMessage(), e);
    }
  }

  private Run collectLocked(Connection connection, Instant cutoff, boolean dryRun)
      throws SQLException, IOException {
    ArtifactStore.Purged unfinished =
        dryRun ? ArtifactStore.Purged.NONE : store.purgeUnfinished(cutoff);
    uploadsPurged.increment(unfinished.uploads());
    List<ArtifactStore.Listed> stored = store.list();
    Set<String> named = named(connection);
    int referenced = 0;
    int young = 0;
    int failed = 0;
    long bytes = 0;
    List<String> gone = new ArrayList<>();
    for (ArtifactStore.Listed artifact : stored) {
      if (named.contains(artifact.sha256())) {
        referenced++;
      } else if (!artifact.lastModified().isBefore(cutoff)) {
        young++;
      } else {
        try {
          if (removeIfUnnamed(artifact.sha256(), dryRun)) {
            gone.add(artifact.sha256());
            bytes += artifact.size();
            if (!dryRun) {
              collected.increment();
              freedBytes.increment(artifact.size());
            }
          } else {
            referenced++; // named since the listing
          }
        } catch (RuntimeException e) {
          failed++;
          failures.increment();
          LOG.warnf("could not collect artifact %s: %s", artifact.sha256(), e.getMessage());
        }
      }
    }
    return new Run(
        true,
        dryRun,
        cutoff,
        stored.size(),
        referenced,
        young,
        List.copyOf(gone),
        bytes,
        failed,
        unfinished.uploads(),
        unfinished.bytes());
  }

  /**
   * Under the artifact's lock (see {@code VariantRegistrar}): removes the bytes and their {@code
   * artifacts} row unless a committed row of some feature names them.
   */
  private boolean removeIfUnnamed(String sha256, boolean dryRun) {
    return QuarkusTransaction.requiringNew()
        .call(
            () -> {
              var em = Panache.getEntityManager();
              em.createNativeQuery("select pg_advisory_xact_lock(hashtext(?1))")
                  .setParameter(1, "artifact:" + sha256)
                  .getSingleResult();
              Object named =
                  em.createNativeQuery(
                          "select exists (select 1 from ("
                              + namedQuery
                              + ") named (sha256) where trim(named.sha256) = ?1)")
                      .setParameter(1, sha256)
                      .getSingleResult();
              if (Boolean.TRUE.equals(named)) {
                return false;
              }
              if (!dryRun) {
                em.createNativeQuery("delete from artifacts where sha256 = ?1")
                    .setParameter(1, sha256)
                    .executeUpdate();
                try {
                  store.remove(sha256);
                } catch (IOException e) {
                  throw new UncheckedIOException(e); // the row stays with its bytes
                }
              }
              return true;
            });
  }

  private Set<String> named(Connection connection) throws SQLException {
    Set<String> named = new HashSet<>();
    try (Statement statement = connection.createStatement();
        ResultSet rows = statement.executeQuery(namedQuery)) {
      while (rows.next()) {
        String sha256 = rows.getString(1);
        if (sha256 != null) {
          named.add(sha256.strip());
        }
      }
    }
    return named;
  }

  private static boolean tryLock(Connection connection) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("select pg_try_advisory_lock(?)")) {
      statement.setLong(1, LOCK);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() && row.getBoolean(1);
      }
    }
  }

  private static void unlock(Connection connection) {
    try (PreparedStatement statement =
        connection.prepareStatement("select pg_advisory_unlock(?)")) {
      statement.setLong(1, LOCK);
      statement.executeQuery().close();
    } catch (SQLException e) {
      // never hand a connection holding the lock back to the pool: end its session instead,
      // which releases the lock
      LOG.warnf("could not release the artifact collector's lock: %s", e.getMessage());
      try {
        connection.abort(Runnable::run);
      } catch (SQLException | RuntimeException ignored) {
        // already broken, and so gone with its session
      }
    }
  }
}
