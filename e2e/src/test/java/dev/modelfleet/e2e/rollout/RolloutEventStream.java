package dev.modelfleet.e2e.rollout;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A rollout change stream of a running server (server-sent events), read line by line on a thread
 * of its own over a real HTTP connection.
 */
final class RolloutEventStream implements AutoCloseable {

  record Event(String id, String type, String data) {}

  private static final Object END = new Object();
  private final HttpResponse<Stream<String>> response;
  private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();

  RolloutEventStream(URI uri, String token) throws Exception {
    response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(uri)
                    .header("Accept", "text/event-stream")
                    .header("Authorization", "Bearer " + token)
                    .build(),
                HttpResponse.BodyHandlers.ofLines());
    if (response.statusCode() != 200) {
      throw new AssertionError(uri + " answered " + response.statusCode());
    }
    Thread reader = new Thread(this::read, "rollout-event-stream");
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    String id = null;
    String type = null;
    String data = null;
    try (Stream<String> lines = response.body()) {
      for (String line : (Iterable<String>) lines::iterator) {
        if (line.isEmpty()) {
          if (data != null) {
            events.add(new Event(id, type, data));
          }
          type = null;
          data = null;
        } else if (line.startsWith("id:")) {
          id = line.substring(3).strip();
        } else if (line.startsWith("event:")) {
          type = line.substring(6).strip();
        } else if (line.startsWith("data:")) {
          data = line.substring(5).strip();
        }
      }
    } catch (RuntimeException e) {
      // closed under the reader
    } finally {
      events.add(END);
    }
  }

  /** The next event; null once the server ended the stream. */
  Event next(Duration within) throws InterruptedException {
    Object item = events.poll(within.toMillis(), TimeUnit.MILLISECONDS);
    if (item == null) {
      throw new AssertionError("no event within " + within);
    }
    if (item == END) {
      events.add(END);
      return null;
    }
    return (Event) item;
  }

  @Override
  public void close() {
    try {
      response.body().close();
    } catch (RuntimeException e) {
      // already closed
    }
  }
}
