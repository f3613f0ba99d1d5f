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
    String infer = raw("POST /v2/models/%zz/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        + "Connection: close\r\n\r\n{}");
    assertTrue(infer.startsWith("HTTP/1.1 400"), infer);
    String metadata = raw("GET /v2/models/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assertTrue(metadata.startsWith("HTTP/1.1 400"), metadata);
  }
}
