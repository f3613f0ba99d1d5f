package dev.modelfleet.server.support;

import io.restassured.RestAssured;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Reads a server-sent event stream of the test server over a real HTTP connection (JDK HttpClient),
 * line by line as a browser's EventSource would, on a thread of its own.
 */
public final class EventStreamClient implements AutoCloseable {

  /** One event; {@code id} is the last id the stream set. */
  public record Event(String id, String type, String data) {}

  private static final Object END = new Object();

  public final HttpResponse<Stream<String>> response;
  private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
  private final List<String> comments = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Thread reader;
  private final String errorBody;

  private EventStreamClient(HttpResponse<Stream<String>> response) {
    this.response = response;
    this.reader = new Thread(this::read, "event-stream-client");
    reader.setDaemon(true);
    if (response.statusCode() == 200) {
      errorBody = null;
      reader.start();
    } else {
      try (Stream<String> lines = response.body()) {
        errorBody = String.join("\n", lines.toList());
      }
    }
  }

  /** The body of a refused request (not a stream). */
  public String errorBody() {
    return errorBody;
  }

  /** Opens {@code path} of the test server with the admin token and {@code headers}. */
  public static EventStreamClient open(String path, Map<String, String> headers) throws Exception {
    return open(path, "Bearer " + Api.ADMIN_TOKEN, headers);
  }

  public static EventStreamClient open(
      String path, String authorization, Map<String, String> headers) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + path))
            .header("Accept", "text/event-stream")
            .header("Authorization", authorization);
    headers.forEach(request::header);
    HttpResponse<Stream<String>> response =
        HttpClient.newHttpClient().send(request.GET().build(), HttpResponse.BodyHandlers.ofLines());
    return new EventStreamClient(response);
  }

  public int status() {
    return response.statusCode();
  }

  public String contentType() {
    return response.headers().firstValue("Content-Type").orElse("");
  }

  private void read() {
    String id = null;
    String type = null;
    StringBuilder data = null;
    try (Stream<String> lines = response.body()) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.isEmpty()) {
          if (data != null) {
            items.add(new Event(id, type == null ? "message" : type, data.toString()));
          }
          type = null;
          data = null;
        } else if (line.startsWith(":")) {
          comments.add(line);
        } else {
          int colon = line.indexOf(':');
          String field = colon < 0 ? line : line.substring(0, colon);
          String value = colon < 0 ? "" : line.substring(colon + 1).replaceFirst("^ ", "");
          switch (field) {
            case "id" -> id = value;
            case "event" -> type = value;
            case "data" ->
                data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
            default -> {}
          }
        }
      }
    } catch (RuntimeException e) {
      // the connection was closed under the reader: the stream ends
    } finally {
      items.add(END);
    }
  }

  /** The next event, or null when the server ended the stream; fails after {@code within}. */
  public Event next(Duration within) throws InterruptedException {
    Object item = items.poll(within.toMillis(), TimeUnit.MILLISECONDS);
    if (item == null) {
      throw new AssertionError("no event within " + within);
    }
    if (item == END) {
      items.add(END); // stays ended
      return null;
    }
    return (Event) item;
  }

  /** Reads events until one matches; fails if the stream ends or nothing matches in time. */
  public Event until(Predicate<Event> wanted, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("no matching event within " + within);
      }
      Event event = next(Duration.ofNanos(left));
      if (event == null) {
        throw new AssertionError("the stream ended before a matching event");
      }
      if (wanted.test(event)) {
        return event;
      }
    }
  }

  /** Comment lines received so far (the keep-alives). */
  public List<String> comments() {
    synchronized (comments) {
      return List.copyOf(comments);
    }
  }

  @Override
  public void close() {
    reader.interrupt();
    try {
      response.body().close();
    } catch (RuntimeException e) {
      // already closed
    }
  }
}
