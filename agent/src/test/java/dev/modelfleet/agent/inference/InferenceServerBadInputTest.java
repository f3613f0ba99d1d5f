package dev.modelfleet.agent.inference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.runtime.ModelRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input on the inference API gets a 4xx, never a 500 (raw HTTP: clients refuse it). */
class InferenceServerBadInputTest {

  /** A local client's Host header (see InferenceServerWebPageTest for any other). */
  static final String LOCAL = "Host: 127.0.0.1\r\n";

  static final ModelRegistry registry = new ModelRegistry();
  static InferenceServer server;

  @BeforeAll
  static void start() throws Exception {
    server = new InferenceServer(registry, () -> true, 0, 2, "test").start();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String raw(String request) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void aMalformedPercentEscapeInTheModelNameIsA400() throws Exception {
    String infer =
        raw(
            "POST /v2/models/%zz/infer HTTP/1.1\r\n"
                + LOCAL
                + "Content-Length: 2\r\n"
                + "Connection: close\r\n\r\n{}");
    assertTrue(infer.startsWith("HTTP/1.1 400"), infer);
    String metadata = raw("GET /v2/models/%zz HTTP/1.1\r\n" + LOCAL + "Connection: close\r\n\r\n");
    assertTrue(metadata.startsWith("HTTP/1.1 400"), metadata);
  }

  @Test
  void aBodyShorterThanItsContentLengthIsA400AndTheServerKeepsServing() throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v2/models/nope/infer HTTP/1.1\r\n"
                  + LOCAL
                  + "Content-Length: 100\r\n"
                  + "\r\n{\"inputs\":[")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      socket.shutdownOutput();
      String answer =
          new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertTrue(answer.isEmpty() || answer.startsWith("HTTP/1.1 4"), answer);
    }
    assertTrue(
        raw("GET /v2/health/live HTTP/1.1\r\n" + LOCAL + "Connection: close\r\n\r\n")
            .startsWith("HTTP/1.1 200"));
  }

  @Test
  void hugeHeadersAreRefusedAndTheServerKeepsServing() throws Exception {
    String big = "a".repeat(1 << 20);
    String answer;
    try {
      answer =
          raw(
              "GET /v2/health/live HTTP/1.1\r\n"
                  + LOCAL
                  + "X-Big: "
                  + big
                  + "\r\nConnection: close\r\n\r\n");
    } catch (java.io.IOException e) {
      answer = ""; // the server may close the connection while we are still writing
    }
    assertTrue(!answer.startsWith("HTTP/1.1 200"), answer.lines().findFirst().orElse(""));
    assertTrue(
        raw("GET /v2/health/live HTTP/1.1\r\n" + LOCAL + "Connection: close\r\n\r\n")
            .startsWith("HTTP/1.1 200"));
  }
}
