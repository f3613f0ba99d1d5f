package dev.modelfleet.server.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.server.cluster.RolloutChangeHeard;
import dev.modelfleet.server.rollout.RolloutViews.RolloutView;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.enterprise.event.Observes;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * This replica's one fan-out of rollout changes to whoever watches them (the change streams of the
 * API, the console). Changes arrive as notices from the cluster listener, whichever replica made
 * them; a burst of notices for one rollout is folded into one reading at most every {@link
 * #MIN_GAP_MS} ms, made once for all of its watchers, and a notice that arrives during a reading
 * schedules another, so watchers always end with the latest state. Nothing is read for a rollout
 * nobody watches.
 */
@ApplicationScoped
public class RolloutFeed {

  private static final Logger LOG = Logger.getLogger(RolloutFeed.class);

  /** At most about four readings a second per rollout. */
  static final long MIN_GAP_MS = 250;

  /**
   * A reading costs its rollout's size: at 50,000 devices one takes seconds of PostgreSQL time, so
   * back-to-back readings under a stream of notices would keep a core busy for the watchers alone.
   * The gap after a reading is at least this many times what it took: watchers then cost at most
   * about a fifth of a core per watched rollout however busy it is.
   */
  static final int COST_SPACING = 4;

  /** A way to stop watching. */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /** Scheduling state of one rollout with watchers or a reading pending. */
  private static final class Slot {
    boolean scheduled;
    long lastReadNanos;
    long lastCostMs;
    String lastJson;
  }

  private final RolloutService rollouts;
  private final ObjectMapper json;
  private final Event<RolloutChanged> changed;
  private final Map<UUID, List<Consumer<RolloutUpdate>>> watchers = new ConcurrentHashMap<>();
  private final List<Consumer<RolloutUpdate>> fleetWatchers = new CopyOnWriteArrayList<>();
  private final Map<UUID, Slot> slots = new ConcurrentHashMap<>();
  private final AtomicLong readings = new AtomicLong();
  private final ScheduledExecutorService reader =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "rollout-feed");
            t.setDaemon(true);
            return t;
          });

  RolloutFeed(RolloutService rollouts, ObjectMapper json, Event<RolloutChanged> changed) {
    this.rollouts = rollouts;
    this.json = json;
    this.changed = changed;
  }

  void stop(@Observes ShutdownEvent stopping) {
    reader.shutdownNow();
  }

  /**
   * Calls {@code watcher} (on the feed's thread; it must not block) with each new reading of the
   * rollout until the subscription is closed. Nothing is sent at once: read {@link #current} after
   * subscribing, so that no change falls between the two.
   */
  public Subscription watch(UUID rolloutId, Consumer<RolloutUpdate> watcher) {
    watchers.computeIfAbsent(rolloutId, id -> new CopyOnWriteArrayList<>()).add(watcher);
    return () ->
        watchers.computeIfPresent(
            rolloutId,
            (id, list) -> {
              list.remove(watcher);
              return list.isEmpty() ? null : list;
            });
  }

  /** Calls {@code watcher} with a reading of every rollout that changes, until closed. */
  public Subscription watchAll(Consumer<RolloutUpdate> watcher) {
    fleetWatchers.add(watcher);
    return () -> fleetWatchers.remove(watcher);
  }

  /** Reads the rollout now, on the caller's thread; empty for an unknown id. */
  public Optional<RolloutUpdate> current(UUID rolloutId) {
    long reading = readings.incrementAndGet();
    return rollouts.find(rolloutId).map(view -> new RolloutUpdate(reading, view, write(view)));
  }

  /** How many watchers this replica feeds now (for tests and operators). */
  public int watcherCount() {
    return fleetWatchers.size() + watchers.values().stream().mapToInt(List::size).sum();
  }

  void heard(@Observes RolloutChangeHeard notice) {
    if (notice.any()) {
      Set.copyOf(watchers.keySet()).forEach(this::schedule);
    } else {
      schedule(notice.rolloutId());
    }
  }

  private void schedule(UUID rolloutId) {
    Slot slot = slots.computeIfAbsent(rolloutId, id -> new Slot());
    synchronized (slot) {
      if (slot.scheduled) {
        return; // the reading to come will show this change too
      }
      slot.scheduled = true;
      long sinceLast = (System.nanoTime() - slot.lastReadNanos) / 1_000_000;
      long delay = slot.lastReadNanos == 0 ? 0 : Math.max(0, gapAfter(slot.lastCostMs) - sinceLast);
      try {
        reader.schedule(() -> read(rolloutId, slot), delay, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        slot.scheduled = false; // shutting down
      }
    }
  }

  private void read(UUID rolloutId, Slot slot) {
    synchronized (slot) {
      // from here on a new notice schedules another reading: this one may be too early for it
      slot.scheduled = false;
      slot.lastReadNanos = System.nanoTime();
    }
    try {
      changed.fire(new RolloutChanged(rolloutId));
      List<Consumer<RolloutUpdate>> forRollout = watchers.getOrDefault(rolloutId, List.of());
      if (forRollout.isEmpty() && fleetWatchers.isEmpty()) {
        return;
      }
      long started = System.nanoTime();
      Optional<RolloutUpdate> update = current(rolloutId);
      synchronized (slot) {
        slot.lastCostMs = (System.nanoTime() - started) / 1_000_000;
      }
      if (update.isEmpty()) {
        return;
      }
      String previous;
      synchronized (slot) {
        previous = slot.lastJson;
        slot.lastJson = update.get().json();
      }
      if (update.get().json().equals(previous)) {
        return; // a step that changed nothing watchers see
      }
      forRollout.forEach(w -> deliver(w, update.get()));
      fleetWatchers.forEach(w -> deliver(w, update.get()));
    } catch (RuntimeException e) {
      LOG.warnf(e, "rollout %s: reading it for its watchers failed", rolloutId);
    } finally {
      forgetIdle(rolloutId, slot);
    }
  }

  /** The least time from one reading's start to the next, after a reading that took this long. */
  static long gapAfter(long costMs) {
    return Math.max(MIN_GAP_MS, costMs + COST_SPACING * costMs);
  }

  /** A slot without watchers and without a pending reading goes, so slots stay few. */
  private void forgetIdle(UUID rolloutId, Slot slot) {
    synchronized (slot) {
      if (!slot.scheduled && !watchers.containsKey(rolloutId)) {
        slots.remove(rolloutId, slot);
      }
    }
  }

  private static void deliver(Consumer<RolloutUpdate> watcher, RolloutUpdate update) {
    try {
      watcher.accept(update);
    } catch (RuntimeException e) {
      LOG.debugf(e, "a rollout watcher failed");
    }
  }

  private String write(RolloutView view) {
    try {
      return json.writeValueAsString(view);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
