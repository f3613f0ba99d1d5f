package dev.modelfleet.cli.progress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.http.ApiClient;
import dev.modelfleet.cli.http.ApiException;
import dev.modelfleet.cli.http.ApiPath;
import dev.modelfleet.cli.http.EventStream;
import dev.modelfleet.cli.output.Formats;
import dev.modelfleet.cli.output.OutputFormat;
import dev.modelfleet.cli.output.Terminal;
import java.io.PrintStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Follows a rollout until it ends, from the server's change stream ({@code GET
 * /api/v1/rollouts/{id}/stream}, server-sent events: the rollout object at once and on every
 * change, keep-alive comments every 15 s, {@code event: end} after a final state). A dropped
 * connection is opened again with {@code Last-Event-ID} and answers the current object at once, so
 * nothing is missed. A server without the stream (an older release) is asked for the rollout every
 * two seconds instead.
 *
 * <p>Ends with 0 when the rollout completed; 4 when it was aborted or rolled back, or paused
 * (unless told to keep watching through pauses).
 */
public final class RolloutWatch {

  /** Three keep-alive intervals without a line: the connection is dead even if not closed. */
  static final Duration SILENCE = Duration.ofSeconds(45);

  static final Duration POLL_EVERY = Duration.ofSeconds(2);

  /** How often a live view is redrawn without news, so that its elapsed time moves on. */
  static final Duration REDRAW_EVERY = Duration.ofSeconds(1);

  static final Duration GIVE_UP_AFTER = Duration.ofMinutes(5);
  static final Set<String> FINAL = Set.of("completed", "aborted", "rolled_back");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ApiClient api;
  private final String id;
  private final PrintStream out;
  private final PrintStream err;
  private final Terminal terminal;
  private final OutputFormat format;
  private final boolean exitOnPause;
  private final RolloutScreen screen;
  private final Clock clock;
  private final LiveArea live;
  private Duration silence = SILENCE;
  private JsonNode last;
  private String lastEventId;
  private boolean ended;

  public RolloutWatch(
      ApiClient api,
      String id,
      PrintStream out,
      PrintStream err,
      Terminal terminal,
      OutputFormat format,
      boolean exitOnPause,
      int events,
      Clock clock) {
    this.api = api;
    this.id = id;
    this.out = out;
    this.err = err;
    this.terminal = terminal;
    this.format = format;
    this.exitOnPause = exitOnPause;
    this.screen = new RolloutScreen(terminal, events, clock.getZone());
    this.clock = clock;
    this.live = terminal.live() && !format.structured() ? new LiveArea(out) : null;
  }

  /** How long without a line a connection is taken for dead (shorter in tests). */
  RolloutWatch silence(Duration silence) {
    this.silence = silence;
    return this;
  }

  /** Watches until the rollout ends (or pauses); returns the exit status. */
  public int run() {
    ApiPath stream = ApiPath.api("rollouts", id, "stream");
    long lastConnected = System.nanoTime();
    long backoffMillis = 1000;
    while (true) {
      EventStream events;
      try {
        events = api.events(stream, lastEventId);
      } catch (ApiException e) {
        if (e.status() == 404 || e.status() == 405 || e.status() == 406) {
          api.get(ApiPath.api("rollouts", id)); // throws not-found for an unknown rollout
          notice(
              "the server has no rollout change stream; asking for the rollout every "
                  + POLL_EVERY.toSeconds()
                  + " s instead");
          return poll();
        }
        throw e;
      } catch (CliException e) {
        if (e.exitCode() != ExitCode.UNREACHABLE
            || System.nanoTime() - lastConnected > GIVE_UP_AFTER.toNanos()) {
          throw e;
        }
        reconnecting(e, backoffMillis);
        backoffMillis = Math.min(backoffMillis * 2, 10_000);
        continue;
      }
      lastConnected = System.nanoTime();
      backoffMillis = 1000;
      try (events) {
        Integer status = follow(events);
        if (status != null) {
          return status;
        }
        // closed without an end: connect again, after the delay the server asked for, if any
        sleep(events.retryMillis() > 0 ? events.retryMillis() : 1000);
      } catch (EventStream.Silent e) {
        notice("no keep-alive from the server for " + silence.toSeconds() + " s; reconnecting");
      } catch (CliException e) {
        if (e.exitCode() != ExitCode.UNREACHABLE) {
          throw e;
        }
        reconnecting(e, events.retryMillis() > 0 ? events.retryMillis() : backoffMillis);
      }
    }
  }

  /** Reads events until the rollout ends (its status) or the stream does (null). */
  private Integer follow(EventStream events) {
    while (true) {
      EventStream.Event event;
      try {
        event = events.next(REDRAW_EVERY);
      } catch (EventStream.Silent e) {
        if (events.idle().compareTo(silence) > 0) {
          throw e;
        }
        if (live != null && last != null) {
          live.draw(screen.screen(last, clock.instant()));
        }
        continue;
      }
      if (event == null) {
        return ended && last != null ? finish(last) : null;
      }
      if (event.id() != null) {
        lastEventId = event.id();
      }
      if ("end".equals(event.type())) {
        ended = true;
        if (last != null && FINAL.contains(last.path("state").asText())) {
          return finish(last);
        }
        continue;
      }
      if (!"rollout".equals(event.type())) {
        continue;
      }
      JsonNode rollout;
      try {
        rollout = JSON.readTree(event.data());
      } catch (JsonProcessingException e) {
        throw new CliException(
            ExitCode.SERVER_ERROR,
            "the server's rollout event is not JSON: " + e.getOriginalMessage(),
            null);
      }
      Integer status = show(rollout);
      if (status != null) {
        return status;
      }
    }
  }

  private int poll() {
    while (true) {
      JsonNode rollout = api.get(ApiPath.api("rollouts", id));
      if (!rollout.equals(last)) {
        Integer status = show(rollout);
        if (status != null) {
          return status;
        }
      } else if (live != null) {
        live.draw(screen.screen(rollout, clock.instant())); // the elapsed time moves on
      }
      sleep(POLL_EVERY.toMillis());
    }
  }

  /** Shows one state of the rollout; the exit status when watching ends here. */
  Integer show(JsonNode rollout) {
    Instant now = clock.instant();
    if (format.structured()) {
      if (format == OutputFormat.JSON) {
        out.println(Formats.oneLine(rollout));
      } else {
        out.println("---");
        Formats.write(OutputFormat.YAML, rollout, out);
      }
      out.flush();
    } else if (live != null) {
      live.draw(screen.screen(rollout, now));
    } else {
      screen.changes(last, rollout, now).forEach(out::println);
      out.flush();
    }
    last = rollout;
    String state = rollout.path("state").asText();
    if (FINAL.contains(state) || (exitOnPause && "paused".equals(state))) {
      return finish(rollout);
    }
    return null;
  }

  private int finish(JsonNode rollout) {
    String state = rollout.path("state").asText();
    PrintStream summary = format.structured() ? err : out;
    summary.println(screen.outcome(rollout, clock.instant()));
    if ("paused".equals(state)) {
      summary.println(
          "hint: resume it (accepting the failures so far): modelfleet rollouts resume "
              + id
              + ", or undo it: modelfleet rollouts rollback "
              + id);
    }
    summary.flush();
    return "completed".equals(state) ? ExitCode.OK : ExitCode.REFUSED;
  }

  private void reconnecting(CliException e, long waitMillis) {
    notice(
        "connection lost ("
            + e.getMessage()
            + "); reconnecting in "
            + Math.max(1, waitMillis / 1000)
            + " s");
    sleep(waitMillis);
  }

  /** A line on standard error; the live view then starts again below it. */
  private void notice(String text) {
    err.println("(" + text + ")");
    err.flush();
    if (live != null) {
      live.forget();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCode.INTERNAL, "interrupted", null, e);
    }
  }

  /** The last rollout object seen (for tests). */
  JsonNode last() {
    return last;
  }
}
