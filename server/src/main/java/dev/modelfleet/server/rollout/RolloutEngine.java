package dev.modelfleet.server.rollout;

import dev.modelfleet.server.common.LogFields;
import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Steps the rollouts that are due, on every replica. A replica claims one rollout at a time with
 * {@code FOR UPDATE SKIP LOCKED}: replicas never wait on each other and never step the same rollout
 * at once, and a replica that dies mid-step loses its lock with its connection, so the rollout is
 * simply claimed again by another. Nothing lives in memory between steps.
 */
@ApplicationScoped
public class RolloutEngine {

  private static final Logger LOG = Logger.getLogger(RolloutEngine.class);

  /** Steps per tick at most, so a replica with a backlog still sleeps now and then. */
  private static final int MAX_STEPS_PER_TICK = 64;

  private static final Duration BACKOFF_AFTER_ERROR = Duration.ofSeconds(5);

  private static final String CLAIM =
      """
      select id from rollouts
       where state in ('scheduled', 'queued', 'running', 'rolling_back') and next_eval_at <= ?1
       order by next_eval_at
       limit 1
       for update skip locked
      """;

  private final RolloutStepper stepper;
  private final RolloutConfig config;
  private final Clock clock;
  private volatile boolean running;
  private Thread worker;

  RolloutEngine(RolloutStepper stepper, RolloutConfig config, Clock clock) {
    this.stepper = stepper;
    this.config = config;
    this.clock = clock;
  }

  void onStart(@Observes StartupEvent started) {
    if (!config.engineEnabled()) {
      LOG.info("rollout engine disabled on this replica (modelfleet.rollout.engine-enabled=false)");
      return;
    }
    running = true;
    worker = new Thread(this::loop, "rollout-engine");
    worker.setDaemon(true);
    worker.start();
  }

  void onStop(@Observes ShutdownEvent stopping) throws InterruptedException {
    running = false;
    if (worker != null) {
      worker.interrupt();
      worker.join(5_000);
    }
  }

  private void loop() {
    long tickMs = Math.max(10, config.tickInterval().toMillis());
    while (running) {
      try {
        for (int i = 0; i < MAX_STEPS_PER_TICK && running && stepOne(); i++) {
          // keep stepping while rollouts are due
        }
        Thread.sleep(tickMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (RuntimeException e) {
        LOG.warn("rollout engine tick failed; retrying", e);
        sleepQuietly(tickMs);
      }
    }
  }

  /** Claims and steps one due rollout in its own transaction; false when none was due. */
  boolean stepOne() {
    UUID[] claimed = new UUID[1];
    try {
      return QuarkusTransaction.requiringNew()
          .call(
              () -> {
                @SuppressWarnings("unchecked")
                List<UUID> due =
                    Panache.getEntityManager()
                        .createNativeQuery(CLAIM)
                        .setParameter(1, clock.instant())
                        .getResultList();
                if (due.isEmpty()) {
                  return false;
                }
                claimed[0] = due.get(0);
                MDC.put(LogFields.ROLLOUT_ID, claimed[0].toString());
                try {
                  stepper.step(Rollout.findById(claimed[0]));
                } finally {
                  MDC.remove(LogFields.ROLLOUT_ID);
                }
                return true;
              });
    } catch (RuntimeException e) {
      if (claimed[0] == null) {
        throw e;
      }
      // a rollout whose step keeps failing must not starve the others: record it, look later
      LOG.errorf(e, "rollout %s: step failed; retrying in %s", claimed[0], BACKOFF_AFTER_ERROR);
      QuarkusTransaction.requiringNew()
          .run(
              () -> {
                Rollout rollout = Rollout.findById(claimed[0]);
                rollout.nextEvalAt = clock.instant().plus(BACKOFF_AFTER_ERROR);
                RolloutEvent.record(
                    rollout.id,
                    clock.instant(),
                    RolloutEvent.ENGINE,
                    "step-failed",
                    rollout.currentWave,
                    "the engine hit an error and retries in "
                        + BACKOFF_AFTER_ERROR.toSeconds()
                        + " s: "
                        + e);
              });
      return true;
    }
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
