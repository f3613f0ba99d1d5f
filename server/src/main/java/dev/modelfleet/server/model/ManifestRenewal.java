package dev.modelfleet.server.model;

import dev.modelfleet.server.common.ModelFleetConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import jakarta.transaction.Transactional;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Keeps variant manifests from expiring on devices: manifests past half their lifetime are
 * re-signed one targets version up with a fresh expiry, and {@link ManifestsRenewed} tells
 * assignment to re-issue the desired states that embed them, so connected devices get them at once
 * (the way root metadata renews at half its lifetime).
 *
 * <p>Safe on several replicas: each replica locks the due variant rows with SKIP LOCKED and checks
 * again under the lock, so a manifest another replica is renewing or has just renewed is left alone
 * and no version is signed twice.
 */
@ApplicationScoped
public class ManifestRenewal {

  private static final Logger LOG = Logger.getLogger(ManifestRenewal.class);

  private final ManifestSigning signing;
  private final Event<ManifestsRenewed> renewedEvent;
  private final ModelFleetConfig config;
  private ScheduledExecutorService scheduler;
  // the soonest a stored manifest expires (epoch ms), as of the last pass; 0 before the first
  private final AtomicLong earliestExpiryMs = new AtomicLong();

  ManifestRenewal(
      ManifestSigning signing,
      Event<ManifestsRenewed> renewedEvent,
      ModelFleetConfig config,
      MeterRegistry registry) {
    this.signing = signing;
    this.renewedEvent = renewedEvent;
    this.config = config;
    Gauge.builder(
            "modelfleet.manifest.earliest.expiry.timestamp.seconds",
            earliestExpiryMs,
            ms -> ms.get() == 0 ? Double.NaN : ms.get() / 1000.0)
        .description(
            "When the first variant manifest expires (Unix time), as of the last renewal pass")
        .register(registry);
  }

  void start(@Observes StartupEvent started) {
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "manifest-renewal");
              thread.setDaemon(true);
              return thread;
            });
    long periodMs = checkInterval(config.manifestTtl()).toMillis();
    // not at once: manifests signed before expiries existed are renewed within the first interval,
    // without adding to the work of a starting replica
    scheduler.scheduleWithFixedDelay(this::renewQuietly, periodMs, periodMs, TimeUnit.MILLISECONDS);
    // reading (not renewing) once at start gives the expiry gauge its figure
    scheduler.execute(this::measureQuietly);
  }

  void stop(@Observes ShutdownEvent stopping) {
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  /**
   * Hourly, or eight times per lifetime when that is shorter: a manifest is then renewed well
   * within the half lifetime that is left when it becomes due.
   */
  static Duration checkInterval(Duration ttl) {
    Duration eighth = ttl.dividedBy(8);
    Duration interval = eighth.compareTo(Duration.ofHours(1)) < 0 ? eighth : Duration.ofHours(1);
    return interval.compareTo(Duration.ofMillis(100)) < 0 ? Duration.ofMillis(100) : interval;
  }

  private void renewQuietly() {
    try {
      renewDue();
    } catch (RuntimeException e) {
      // a database or key directory outage: the next run tries again, long before expiry
      LOG.warnf(e, "manifest renewal failed; retrying in %s", checkInterval(config.manifestTtl()));
    }
  }

  private void measureQuietly() {
    try {
      dueVariants();
    } catch (RuntimeException e) {
      LOG.debugf(e, "reading manifest expiries failed; the renewal pass reads them again");
    }
  }

  /** Renews every due manifest this replica can lock; returns how many it renewed. */
  @Transactional
  public int renewDue() {
    return renew(dueVariants());
  }

  /**
   * The variants whose manifest is due, read without locks or entities. Another replica may renew
   * them between this read and {@link #renew}.
   */
  @Transactional
  List<UUID> dueVariants() {
    List<UUID> due = new ArrayList<>();
    long earliest = Long.MAX_VALUE;
    for (Object[] row : rows("select id, manifest from variants", null)) {
      if (signing.renewalDue((byte[]) row[1])) {
        due.add((UUID) row[0]);
      }
      long expires = ManifestSigning.payload((byte[]) row[1]).getExpiresAtMs();
      if (expires > 0) {
        earliest = Math.min(earliest, expires);
      }
    }
    earliestExpiryMs.set(earliest == Long.MAX_VALUE ? 0 : earliest);
    return due;
  }

  /**
   * Renews those of {@code candidates} that this transaction can lock and that are still due under
   * the lock: a row another replica holds is skipped (it is renewing it), one it renewed and
   * committed since {@link #dueVariants} read it is no longer due.
   */
  @Transactional
  int renew(List<UUID> candidates) {
    if (candidates.isEmpty()) {
      return 0;
    }
    List<UUID> renewed = new ArrayList<>();
    for (Object[] row :
        rows(
            "select id, manifest from variants where id in (?1)"
                + " order by id for update skip locked",
            candidates)) {
      byte[] stored = (byte[]) row[1];
      if (signing.renewalDue(stored)) {
        Variant variant = Variant.findById(row[0]); // not loaded before: read fresh, under the lock
        variant.manifest = signing.resign(stored);
        renewed.add(variant.id);
      }
    }
    Panache.getEntityManager().flush();
    if (!renewed.isEmpty()) {
      LOG.infof("%d variant manifest(s) renewed for %s", renewed.size(), config.manifestTtl());
      renewedEvent.fire(new ManifestsRenewed(List.copyOf(renewed)));
    }
    return renewed.size();
  }

  @SuppressWarnings("unchecked")
  private static List<Object[]> rows(String sql, List<UUID> ids) {
    var query = Panache.getEntityManager().createNativeQuery(sql);
    if (ids != null) {
      query.setParameter(1, ids);
    }
    return query.getResultList();
  }
}
