package dev.modelfleet.agent.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.onnx.samples.SampleModels;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A web page in a browser on the device can neither drive nor read the inference API: raw HTTP over
 * a real socket, since the requests a browser sends (a rebound Host, an Origin, a text/plain body)
 * are what java.net.http will not send.
 */
class InferenceServerWebPageTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String INFER =
      """
      {"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""";
  static ModelRegistry registry;
  static InferenceServer server;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("m.onnx");
    Files.write(file, SampleModels.classifier(1));
    registry = new ModelRegistry();
    registry.swap(
        new ServedModel(
            "classifier", "3", "classifier-3", "abc", new OrtModelLoader(1).load(file)));
    server = new InferenceServer(registry, () -> true, 0, 2, "test").start();
  }

  @AfterAll
  static void stop() {
    server.close();
    registry.closeAll();
  }

  /** One request, answered and closed; returns the status line, headers and body. */
  static String raw(InferenceServer target, String method, String path, String headers, String body)
      throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), target.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      out.write(
          (method
                  + " "
                  + path
                  + " HTTP/1.1\r\n"
                  + headers
                  + (body.isEmpty() ? "" : "Content-Length: " + bytes.length + "\r\n")
                  + "Connection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.write(bytes);
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static String local() {
    return "Host: 127.0.0.1:" + server.port() + "\r\n";
  }

  static int status(String answer) {
    return Integer.parseInt(answer.substring(9, 12));
  }

  static String error(String answer) throws Exception {
    return JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).path("error").asText();
  }

  @Test
  void aPageThatRebindsItsNameTo127001IsRefusedWith421() throws Exception {
    String infer =
        raw(
            server,
            "POST",
            "/v2/models/classifier/infer",
            "Host: evil.example:" + server.port() + "\r\nContent-Type: application/json\r\n",
            INFER);
    assertEquals(421, status(infer), infer);
    assertTrue(error(infer).contains("Host 'evil.example:" + server.port() + "'"), infer);
    // Reading is what rebinding is for: metadata and health answers are not given either.
    assertEquals(
        421, status(raw(server, "GET", "/v2/models/classifier", "Host: evil.example\r\n", "")));
    assertEquals(
        421,
        status(
            raw(server, "GET", "/v2/health/ready", "Host: 127.0.0.1.evil.example:8700\r\n", "")));
    assertEquals(421, status(raw(server, "GET", "/v2/health/live", "", "")), "no Host at all");
  }

  @Test
  void aCrossOriginPostIsRefusedWith403() throws Exception {
    String infer =
        raw(
            server,
            "POST",
            "/v2/models/classifier/infer",
            local() + "Origin: http://evil.example\r\nContent-Type: application/json\r\n",
            INFER);
    assertEquals(403, status(infer), infer);
    assertTrue(error(infer).contains("Origin 'http://evil.example'"), infer);
    // A sandboxed frame or a redirect sends "null"; another local port is another origin.
    assertEquals(
        403,
        status(
            raw(
                server,
                "POST",
                "/v2/models/classifier/infer",
                local() + "Origin: null\r\nContent-Type: application/json\r\n",
                INFER)));
    assertEquals(
        403,
        status(
            raw(
                server,
                "POST",
                "/v2/models/classifier/infer",
                local() + "Origin: http://127.0.0.1:1\r\nContent-Type: application/json\r\n",
                INFER)));
  }

  @Test
  void aTextPlainOrFormBodyIsRefusedWith415() throws Exception {
    for (String type :
        List.of(
            "text/plain",
            "text/plain;charset=UTF-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x")) {
      String infer =
          raw(
              server,
              "POST",
              "/v2/models/classifier/infer",
              local() + "Content-Type: " + type + "\r\n",
              INFER);
      assertEquals(415, status(infer), type + ": " + infer);
      assertTrue(error(infer).contains("application/json"), infer);
    }
  }

  @Test
  void aLocalClientStillInfersAndProbesHealth() throws Exception {
    for (String host :
        List.of(
            "127.0.0.1:" + server.port(),
            "localhost:" + server.port(),
            "LOCALHOST",
            "[::1]:" + server.port())) {
      String infer =
          raw(
              server,
              "POST",
              "/v2/models/classifier/infer",
              "Host: " + host + "\r\nContent-Type: application/json; charset=utf-8\r\n",
              INFER);
      assertEquals(200, status(infer), host + ": " + infer);
      JsonNode body = JSON.readTree(infer.substring(infer.indexOf("\r\n\r\n") + 4));
      assertEquals("probabilities", body.path("outputs").path(0).path("name").asText());
      assertEquals(
          200, status(raw(server, "GET", "/v2/health/live", "Host: " + host + "\r\n", "")), host);
      assertEquals(
          200, status(raw(server, "GET", "/v2/health/ready", "Host: " + host + "\r\n", "")), host);
    }
    // Clients that send no Content-Type (the Triton Python client) and a same-origin Origin.
    assertEquals(200, status(raw(server, "POST", "/v2/models/classifier/infer", local(), INFER)));
    assertEquals(
        200,
        status(
            raw(
                server,
                "POST",
                "/v2/models/classifier/infer",
                local() + "Origin: http://127.0.0.1:" + server.port() + "\r\n",
                INFER)));
  }

  @Test
  void refusalsAreCountedAndLoggedAtABoundedRate() throws Exception {
    List<String> lines = new CopyOnWriteArrayList<>();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getMessage().contains("refused a request")) {
              lines.add(record.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger("modelfleet.inference");
    logger.addHandler(handler);
    try (InferenceServer fresh = new InferenceServer(registry, () -> true, 0, 2, "test").start()) {
      for (int i = 0; i < 20; i++) {
        assertEquals(
            421, status(raw(fresh, "GET", "/v2/health/live", "Host: evil.example\r\n", "")));
      }
      assertEquals(20, fresh.refusedRequests());
      assertEquals(1, lines.size(), lines.toString());
      assertTrue(lines.get(0).contains("evil.example"), lines.get(0));
    } finally {
      logger.removeHandler(handler);
    }
  }
}
