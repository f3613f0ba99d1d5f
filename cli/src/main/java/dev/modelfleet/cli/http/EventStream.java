package dev.modelfleet.cli.http;

import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One connection to a server-sent event stream (text/event-stream, as the HTML standard defines
 * it). Lines arrive on the HTTP client's threads into a queue; {@link #next} reads events from it
 * with a bound on silence, so a connection that died without closing (no keep-alive comment for
 * that long) is noticed and can be replaced.
 */
public final class EventStream implements AutoCloseable {

  private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(30);
  private static final Object END = new Object();

  /**
   * One event.
   *
   * @param id the last event id seen on this stream when it was dispatched (or null)
   * @param type the {@code event:} field, {@code message} when absent
   * @param data the {@code data:} lines joined by new lines
   */
  public record Event(String id, String type, String data) {}

  /** No event arrived within the time waited (see {@link #idle} for keep-alive comments). */
  public static final class Silent extends RuntimeException {
    Silent(Duration silence) {
      super("no event or keep-alive within " + silence.toSeconds() + " s");
    }
  }

  private final BlockingQueue<Object> lines = new LinkedBlockingQueue<>();
  private final Parser parser = new Parser();
  private volatile Flow.Subscription subscription;
  private volatile boolean closed;
  private volatile long lastLineAt = System.nanoTime();

  private EventStream() {}

  static EventStream open(ApiClient api, HttpClient http, HttpRequest request) {
    EventStream stream = new EventStream();
    CompletableFuture<HttpResponse.ResponseInfo> headers = new CompletableFuture<>();
    CompletableFuture<HttpResponse<String>> response =
        http.sendAsync(
            request,
            info -> {
              headers.complete(info);
              boolean events =
                  info.statusCode() == 200
                      && info.headers()
                          .firstValue("Content-Type")
                          .orElse("")
                          .startsWith("text/event-stream");
              return events
                  ? HttpResponse.BodySubscribers.fromLineSubscriber(
                      stream.new Lines(), s -> null, StandardCharsets.UTF_8, null)
                  : HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8);
            });
    HttpResponse.ResponseInfo info;
    try {
      CompletableFuture.anyOf(headers, response)
          .get(HEADERS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      if (!headers.isDone()) {
        response.join(); // failed before any header: throws
      }
      info = headers.join();
    } catch (ExecutionException | CompletionException e) {
      throw failure(api, e.getCause());
    } catch (TimeoutException e) {
      response.cancel(true);
      throw new CliException(
          ExitCode.UNREACHABLE,
          api.connection().server()
              + " did not answer the stream request within "
              + HEADERS_TIMEOUT.toSeconds()
              + " s",
          "check the server (modelfleet status)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliException(ExitCode.INTERNAL, "interrupted", null, e);
    }
    if (info.statusCode() != 200) {
      String body;
      try {
        body = response.get(HEADERS_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).body();
      } catch (ExecutionException | TimeoutException e) {
        body = "";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        body = "";
      }
      throw api.problem(
          info.statusCode(), new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    }
    if (!info.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
      throw new ApiException(
          406,
          "not-acceptable",
          "the server answered the stream request with "
              + info.headers().firstValue("Content-Type").orElse("no content type")
              + ", not text/event-stream",
          null);
    }
    return stream;
  }

  private static CliException failure(ApiClient api, Throwable cause) {
    if (cause instanceof IOException io) {
      return api.unreachable(io);
    }
    if (cause instanceof CliException cli) {
      return cli;
    }
    return new CliException(
        ExitCode.UNREACHABLE, "the stream request failed: " + cause, null, cause);
  }

  /**
   * The next event; null when the server ended the stream. Throws {@link Silent} after {@code
   * silence} without a line, and an unreachable-server {@link CliException} when the connection
   * broke.
   */
  public Event next(Duration silence) {
    while (true) {
      Object line;
      try {
        line = lines.poll(silence.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException(ExitCode.INTERNAL, "interrupted", null, e);
      }
      if (line == null) {
        throw new Silent(silence);
      }
      if (line == END) {
        return null;
      }
      if (line instanceof Throwable error) {
        throw new CliException(
            ExitCode.UNREACHABLE,
            "the event stream broke: "
                + (error.getMessage() == null
                    ? error.getClass().getSimpleName()
                    : error.getMessage()),
            null,
            error);
      }
      Event event = parser.line((String) line);
      if (event != null) {
        return event;
      }
    }
  }

  /** How long since the server sent anything (an event line or a keep-alive comment). */
  public Duration idle() {
    return Duration.ofNanos(System.nanoTime() - lastLineAt);
  }

  /** The reconnection delay the server asked for ({@code retry:}), or -1. */
  public long retryMillis() {
    return parser.retryMillis;
  }

  @Override
  public void close() {
    closed = true;
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }

  /** Receives the body's lines on the client's threads. */
  private final class Lines implements Flow.Subscriber<String> {
    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      if (closed) {
        s.cancel();
      } else {
        s.request(Long.MAX_VALUE);
      }
    }

    @Override
    public void onNext(String line) {
      lastLineAt = System.nanoTime();
      lines.add(line);
    }

    @Override
    public void onError(Throwable error) {
      lines.add(error);
    }

    @Override
    public void onComplete() {
      lines.add(END);
    }
  }

  /** The event stream format, a line at a time. */
  static final class Parser {
    private StringBuilder data;
    private String type;
    private String lastId;
    private long retryMillis = -1;

    /** Reads one line; returns the event it completes (on an empty line), else null. */
    Event line(String line) {
      if (line.isEmpty()) {
        if (data == null) {
          type = null;
          return null;
        }
        Event event = new Event(lastId, type == null ? "message" : type, data.toString());
        data = null;
        type = null;
        return event;
      }
      if (line.startsWith(":")) {
        return null; // a comment: the keep-alive
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "event" -> type = value;
        case "data" -> {
          if (data == null) {
            data = new StringBuilder(value);
          } else {
            data.append('\n').append(value);
          }
        }
        case "id" -> {
          if (value.indexOf('\0') < 0) {
            lastId = value;
          }
        }
        case "retry" -> {
          if (!value.isEmpty()
              && value.chars().allMatch(Character::isDigit)
              && value.length() < 10) {
            retryMillis = Long.parseLong(value);
          }
        }
        default -> {
          // unknown fields are ignored, as the standard says
        }
      }
      return null;
    }

    long retryMillis() {
      return retryMillis;
    }
  }
}
