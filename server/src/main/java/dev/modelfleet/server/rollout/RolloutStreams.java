package dev.modelfleet.server.rollout;

import dev.modelfleet.server.common.ApiError;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The open rollout change streams of this replica (server-sent events, see docs/api.md): each is a
 * watcher of {@link RolloutFeed}, so a change costs one reading per replica however many streams
 * show it. Sends a keep-alive comment on every stream at a fixed interval, which also finds streams
 * whose client went away.
 */
@ApplicationScoped
class RolloutStreams {

  private static final Logger LOG = Logger.getLogger(RolloutStreams.class);

  private final RolloutFeed feed;
  private final RolloutConfig config;
  private final Set<Stream> open = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService keepAlive =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "rollout-stream-keep-alive");
            t.setDaemon(true);
            return t;
          });

  RolloutStreams(RolloutFeed feed, RolloutConfig config) {
    this.feed = feed;
    this.config = config;
  }

  void start(@Observes StartupEvent started) {
    long every = Math.max(100, config.streamKeepAlive().toMillis());
    keepAlive.scheduleWithFixedDelay(
        () -> open.forEach(Stream::keepAlive), every, every, TimeUnit.MILLISECONDS);
  }

  void stop(@Observes ShutdownEvent stopping) {
    keepAlive.shutdownNow();
    open.forEach(Stream::close);
  }

  /**
   * Streams one rollout: its current state at once, each change, and {@code event: end} after a
   * final state. An unknown id is refused (404) before anything is sent.
   *
   * @param lastEventId the client's {@code Last-Event-ID} when it reconnects: numbering goes on
   *     after it (the current state is sent at once either way)
   */
  void open(UUID rolloutId, String lastEventId, SseEventSink sink, Sse sse) {
    Stream stream = new Stream(sink, sse, firstId(lastEventId));
    // watch before reading, so that a change between the two is not lost
    stream.subscription = feed.watch(rolloutId, stream::send);
    RolloutUpdate current;
    try {
      current =
          feed.current(rolloutId)
              .orElseThrow(
                  () -> ApiError.NOT_FOUND.exception("No rollout with id '" + rolloutId + "'."));
    } catch (RuntimeException e) {
      stream.subscription.close();
      throw e;
    }
    open.add(stream);
    stream.send(current);
  }

  /** Streams every rollout that changes from now on (no initial state), until the client leaves. */
  void openFleet(String lastEventId, SseEventSink sink, Sse sse) {
    Stream stream = new Stream(sink, sse, firstId(lastEventId));
    stream.fleet = true;
    stream.subscription = feed.watchAll(stream::send);
    open.add(stream);
    stream.keepAlive(); // sends the response headers now: a client sees the stream is open
  }

  /** How many streams this replica holds open now. */
  int openStreams() {
    return open.size();
  }

  private static long firstId(String lastEventId) {
    if (lastEventId != null) {
      try {
        return Math.max(1, Long.parseLong(lastEventId.strip()) + 1);
      } catch (NumberFormatException e) {
        // another server's id, or garbage: start over; the client gets the current state anyway
      }
    }
    return 1;
  }

  /** One client's stream; sends are serialized so ids and readings go out in order. */
  private final class Stream {
    private final SseEventSink sink;
    private final Sse sse;
    private long nextId;
    private long lastReading;
    private boolean closed;
    boolean fleet;
    RolloutFeed.Subscription subscription;

    Stream(SseEventSink sink, Sse sse, long firstId) {
      this.sink = sink;
      this.sse = sse;
      this.nextId = firstId;
    }

    synchronized void send(RolloutUpdate update) {
      if (closed || (!fleet && update.reading() <= lastReading)) {
        return; // an older reading than the one shown already
      }
      lastReading = update.reading();
      write(
          sse.newEventBuilder()
              .name("rollout")
              .id(Long.toString(nextId++))
              .mediaType(MediaType.TEXT_PLAIN_TYPE)
              .data(String.class, update.json())
              .build());
      if (!fleet && update.isFinal()) {
        write(
            sse.newEventBuilder()
                .name("end")
                .id(Long.toString(nextId++))
                .mediaType(MediaType.TEXT_PLAIN_TYPE)
                .data(String.class, "{\"state\":\"" + update.view().state().value() + "\"}")
                .build());
        close();
      }
    }

    synchronized void keepAlive() {
      if (closed) {
        return;
      }
      if (sink.isClosed()) {
        close();
        return;
      }
      write(sse.newEventBuilder().comment(" keep-alive").build());
    }

    private void write(OutboundSseEvent event) {
      sink.send(event)
          .whenComplete(
              (ignored, error) -> {
                if (error != null) {
                  LOG.debugf("rollout stream closed: %s", error.getMessage());
                  close();
                }
              });
    }

    synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      open.remove(this);
      if (subscription != null) {
        subscription.close();
      }
      try {
        sink.close();
      } catch (RuntimeException e) {
        LOG.debugf("closing a rollout stream: %s", e.getMessage());
      }
    }
  }
}
