package dev.modelfleet.cli.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.cli.http.ApiClient;
import dev.modelfleet.cli.http.Connection;
import dev.modelfleet.cli.output.OutputFormat;
import dev.modelfleet.cli.output.Terminal;
import dev.modelfleet.cli.support.FakeServer;
import dev.modelfleet.cli.support.Rollouts;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RolloutWatchTest {

  private static final String ID = "r1";
  private static final String STREAM = "/api/v1/rollouts/" + ID + "/stream";

  @Test
  void aConnectionThatGoesSilentWithoutClosingIsReplaced() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    try (FakeServer server = FakeServer.http()) {
      server.on(
          "GET",
          STREAM,
          (exchange, request) -> {
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
              if (connections.incrementAndGet() == 1) {
                out.write(frame(7, Rollouts.rollout(ID, "running", 1, 0, 3, 0).toString()));
                out.flush();
                // then nothing, not even a keep-alive, as behind a proxy that lost the server
                release.await(30, TimeUnit.SECONDS);
              } else {
                out.write(frame(8, Rollouts.rollout(ID, "completed", 1, 0, 10, 0).toString()));
                out.write("event: end\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      long started = System.nanoTime();
      int exit =
          new RolloutWatch(
                  new ApiClient(new Connection(server.uri(), "t", null, null), "test"),
                  ID,
                  new PrintStream(out, true, StandardCharsets.UTF_8),
                  new PrintStream(err, true, StandardCharsets.UTF_8),
                  Terminal.plain(),
                  OutputFormat.TABLE,
                  true,
                  5,
                  Clock.systemUTC())
              .silence(Duration.ofSeconds(2))
              .run();
      release.countDown();

      assertEquals(0, exit, out + "\n" + err);
      assertTrue(Duration.ofNanos(System.nanoTime() - started).toSeconds() < 20);
      assertTrue(
          err.toString(StandardCharsets.UTF_8)
              .contains("no keep-alive from the server for 2 s; reconnecting"),
          err.toString());
      List<FakeServer.Request> requests = server.requests("GET", STREAM);
      assertEquals(2, requests.size());
      assertEquals("7", requests.get(1).header("Last-Event-ID"));
    }
  }

  private static byte[] frame(int id, String json) {
    return ("event: rollout\nid: " + id + "\ndata: " + json + "\n\n")
        .getBytes(StandardCharsets.UTF_8);
  }
}
