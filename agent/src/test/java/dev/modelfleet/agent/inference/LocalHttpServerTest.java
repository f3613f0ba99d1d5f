package dev.modelfleet.agent.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The local API's HTTP/1.1 server as clients of every kind speak to it, over real sockets: keep-
 * alive and pipelined requests, chunked bodies, 100-continue, HTTP/1.0, and the limits that keep a
 * misbehaving client from holding the agent (stalled requests, too many connections, ambiguous or
 * malformed framing).
 */
class LocalHttpServerTest {

  private final List<LocalHttpServer> servers = new ArrayList<>();

  /** Answers "<method> <path> <body length>" as text, reading the whole body. */
  private static void echo(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    byte[] answer =
        (exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + body.length)
            .getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain");
    exchange.sendResponseHeaders(200, answer.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(answer);
    }
  }

  private LocalHttpServer server(int maxConnections, int stallSeconds) throws IOException {
    LocalHttpServer server =
        new LocalHttpServer(
                InetAddress.getLoopbackAddress(),
                0,
                2,
                maxConnections,
                stallSeconds,
                LocalHttpServerTest::echo)
            .start();
    servers.add(server);
    return server;
  }

  @AfterEach
  void stop() {
    servers.forEach(LocalHttpServer::close);
  }

  @Test
  void pipelinedRequestsOnOneConnectionAreAnsweredInOrder() throws Exception {
    LocalHttpServer server = server(8, 60);
    try (Socket socket = connect(server)) {
      send(
          socket,
          "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
              + "GET /b HTTP/1.1\r\nHost: x\r\n\r\n"
              + "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
      InputStream in = new BufferedInputStream(socket.getInputStream());
      assertEquals("POST /a 3", response(in).body);
      assertEquals("GET /b 0", response(in).body);
      assertEquals("POST /c 0", response(in).body);
    }
  }

  @Test
  void aChunkedBodyIsReadWithItsExtensionsAndTrailers() throws Exception {
    LocalHttpServer server = server(8, 60);
    try (Socket socket = connect(server)) {
      send(
          socket,
          "POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "5;ext=1\r\nhello\r\n"
              + "1A\r\nabcdefghijklmnopqrstuvwxyz\r\n"
              + "0\r\nX-Trailer: yes\r\n\r\n"
              + "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
      InputStream in = new BufferedInputStream(socket.getInputStream());
      assertEquals("POST /chunked 31", response(in).body);
      assertEquals("GET /after 0", response(in).body, "the connection carries on after it");
    }
  }

  @Test
  void expectContinueIsAnsweredBeforeTheClientSendsItsBody() throws Exception {
    LocalHttpServer server = server(8, 60);
    try (Socket socket = connect(server)) {
      send(
          socket,
          "POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
      InputStream in = new BufferedInputStream(socket.getInputStream());
      assertEquals("HTTP/1.1 100 Continue", line(in));
      assertEquals("", line(in));
      send(socket, "body");
      Response answer = response(in);
      assertEquals(200, answer.status);
      assertEquals("POST /big 4", answer.body);
    }
  }

  @Test
  void http10WithoutKeepAliveIsClosedAfterTheAnswer() throws Exception {
    LocalHttpServer server = server(8, 60);
    try (Socket socket = connect(server)) {
      send(socket, "GET /old HTTP/1.0\r\n\r\n");
      InputStream in = new BufferedInputStream(socket.getInputStream());
      Response answer = response(in);
      assertEquals("GET /old 0", answer.body);
      assertTrue(answer.head.contains("Connection: close"), answer.head);
      assertEquals(-1, in.read(), "closed after the answer");
    }
  }

  @Test
  void ambiguousOrMalformedFramingIsRefusedAndTheServerKeepsServing() throws Exception {
    LocalHttpServer server = server(8, 60);
    for (String request :
        List.of(
            "POST /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "POST /x HTTP/1.1\r\nContent-Length: -3\r\n\r\n",
            "POST /x HTTP/1.1\r\nContent-Length: +3\r\n\r\nabc",
            "POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "GET /x HTTP/1.1\r\nBad Header: 1\r\n\r\n",
            "GET /x HTTP/1.1\r\nX-Ok: 1\r\n folded\r\n\r\n",
            "GET /x y HTTP/1.1\r\n\r\n",
            "GET /x HTTP/2.0\r\n\r\n",
            "GET /a b\r\n\r\n")) {
      try (Socket socket = connect(server)) {
        send(socket, request);
        InputStream in = new BufferedInputStream(socket.getInputStream());
        Response answer = response(in);
        assertTrue(answer.status >= 400, request + " -> " + answer.head);
        assertEquals(-1, in.read(), "closed after refusing " + request);
      }
    }
    for (String request :
        List.of(
            "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nabc\r\n0\r\n\r\n",
            "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n")) {
      try (Socket socket = connect(server)) {
        send(socket, request);
        InputStream in = new BufferedInputStream(socket.getInputStream());
        // found while the handler reads the body: still a 400 that says so, then closed
        Response answer = response(in);
        assertEquals(400, answer.status, request + " -> " + answer.head);
        assertTrue(answer.body.contains("chunk"), answer.body);
        assertEquals(-1, in.read(), "closed after refusing " + request);
      }
    }
    try (Socket socket = connect(server)) {
      send(socket, "GET /still HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals("GET /still 0", response(new BufferedInputStream(socket.getInputStream())).body);
    }
  }

  @Test
  void aRequestThatStallsLosesItsConnectionAndFreesItsThread() throws Exception {
    LocalHttpServer server = server(1, 1);
    try (Socket stalled = connect(server)) {
      send(stalled, "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
      stalled.setSoTimeout(10_000);
      long start = System.nanoTime();
      assertEquals(-1, stalled.getInputStream().read(), "closed, not answered");
      long waitedMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(waitedMs >= 500 && waitedMs < 8_000, "closed after " + waitedMs + " ms");
    }
    // the one connection slot is free again
    assertEquals("GET /next 0", eventually(server, "/next").body);
  }

  @Test
  void connectionsBeyondTheLimitAreTold503() throws Exception {
    LocalHttpServer server = server(2, 60);
    try (Socket first = connect(server);
        Socket second = connect(server)) {
      // both held open by their threads, waiting for a request
      send(first, "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals("GET /1 0", response(new BufferedInputStream(first.getInputStream())).body);
      send(second, "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
      assertEquals("GET /2 0", response(new BufferedInputStream(second.getInputStream())).body);
      try (Socket third = connect(server)) {
        send(third, "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
        Response answer = response(new BufferedInputStream(third.getInputStream()));
        assertEquals(503, answer.status);
        assertTrue(answer.body.contains("too many open connections"), answer.body);
      }
    }
    assertEquals("GET /4 0", eventually(server, "/4").body, "served again once the others closed");
  }

  @Test
  void headersLargerThanTheLimitAre431() throws Exception {
    LocalHttpServer server = server(8, 60);
    try (Socket socket = connect(server)) {
      StringBuilder request = new StringBuilder("GET /x HTTP/1.1\r\n");
      for (int i = 0; i < 20; i++) {
        request.append("X-Filler-").append(i).append(": ").append("a".repeat(4000)).append("\r\n");
      }
      send(socket, request + "\r\n");
      assertEquals(431, response(new BufferedInputStream(socket.getInputStream())).status);
    }
  }

  /**
   * A GET answered other than 503: a connection's slot is free once its thread has seen the close,
   * which may come a moment after the client's.
   */
  private static Response eventually(LocalHttpServer server, String path) throws Exception {
    for (int attempt = 0; ; attempt++) {
      try (Socket socket = connect(server)) {
        send(socket, "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n");
        Response answer = response(new BufferedInputStream(socket.getInputStream()));
        if (answer.status != 503 || attempt >= 50) {
          return answer;
        }
      }
      Thread.sleep(100);
    }
  }

  private static Socket connect(LocalHttpServer server) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
    socket.setSoTimeout(10_000);
    return socket;
  }

  private static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  private record Response(int status, String head, String body) {}

  /** One response with a Content-Length body. */
  private static Response response(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    int length = 0;
    String status = line(in);
    head.append(status).append('\n');
    for (String h; !(h = line(in)).isEmpty(); ) {
      head.append(h).append('\n');
      if (h.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(h.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return new Response(
        Integer.parseInt(status.split(" ")[1]),
        head.toString(),
        new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int c; (c = in.read()) != '\n'; ) {
      if (c < 0) {
        throw new IOException("closed before the end of a line: " + line);
      }
      if (c != '\r') {
        line.write(c);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }
}
