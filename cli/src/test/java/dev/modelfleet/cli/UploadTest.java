package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** variants push streams the file with its length and needs, and says how it went. */
class UploadTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String VARIANTS = "/api/v1/models/detector/versions/1.1.0/variants";

  @TempDir Path dir;
  private FakeServer server;
  private volatile String receivedSha256;
  private volatile long receivedBytes;

  @BeforeEach
  void aServerThatHashesWhatItReceives() {
    server = FakeServer.http();
    server.onStreaming("POST", VARIANTS, receiver(false));
    server.onStreaming("POST", "/api/v1/models/slow/versions/1/variants", receiver(true));
  }

  private FakeServer.Handler receiver(boolean slow) {
    return (exchange, request) -> {
      MessageDigest sha = sha256();
      long total = 0;
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = exchange.getRequestBody()) {
        for (int n; (n = in.read(buffer)) > 0; ) {
          sha.update(buffer, 0, n);
          total += n;
          if (slow) {
            sleep(2); // at most 32 MB/s: the upload takes a few seconds
          }
        }
      }
      receivedBytes = total;
      receivedSha256 = HexFormat.of().formatHex(sha.digest());
      FakeServer.send(
          exchange,
          201,
          "application/json",
          "{\"id\":\"7d0c\",\"model\":\"detector\",\"version\":\"1.1.0\",\"precision\":\"int8\","
              + "\"executionProvider\":\"cpu\",\"size\":"
              + total
              + ",\"sha256\":\""
              + receivedSha256
              + "\",\"inputs\":[{\"name\":\"input\",\"type\":\"FLOAT\",\"shape\":[-1,4]}],"
              + "\"outputs\":[]}");
    };
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void theFileGoesOutWhole_withItsLengthTypeAndNeeds() throws Exception {
    Path model = dir.resolve("detector-int8.onnx");
    byte[] bytes = new byte[3 * 1024 * 1024 + 17];
    new Random(1).nextBytes(bytes);
    Files.write(model, bytes);

    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run(
                "variants",
                "push",
                "detector",
                "1.1.0",
                model.toString(),
                "--precision",
                "int8",
                "--ep",
                "cpu",
                "--arch",
                "x86_64",
                "--cpu-flags",
                "avx512_vnni,avx2",
                "--min-memory",
                "1GiB",
                "--accuracy",
                "0.985",
                "-o",
                "json");

    assertEquals(0, result.exit(), result.toString());
    FakeServer.Request request = server.requests("POST", VARIANTS).get(0);
    assertEquals(
        "precision=int8&executionProvider=cpu&arch=x86_64&requiredCpuFlags=avx512_vnni%2Cavx2"
            + "&minMemoryBytes=1073741824&accuracy=0.985",
        request.query());
    assertEquals("application/octet-stream", request.header("Content-Type"));
    assertEquals(Long.toString(bytes.length), request.header("Content-Length"));
    assertEquals(bytes.length, receivedBytes);
    assertEquals(HexFormat.of().formatHex(sha256().digest(bytes)), receivedSha256);
    assertEquals("7d0c", JSON.readTree(result.out()).path("id").asText(), "the API's object");
    assertTrue(result.err().contains("uploaded detector-int8.onnx: 3.0 MiB in "), result.err());
    assertTrue(result.err().contains("server checking the model..."), result.err());
    assertTrue(result.err().contains("server checked the model in "), result.err());
  }

  @Test
  void aSlowUploadShowsPlainProgressLinesWhenNotOnATerminal() throws Exception {
    Path model = dir.resolve("big.onnx");
    byte[] bytes = new byte[48 * 1024 * 1024];
    Files.write(model, bytes);
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run(
                "variants",
                "push",
                "slow",
                "1",
                model.toString(),
                "--precision",
                "fp32",
                "--ep",
                "cpu");
    assertEquals(0, result.exit(), result.toString());
    assertTrue(
        result
            .err()
            .lines()
            .anyMatch(
                l ->
                    l.matches(
                        "uploading big\\.onnx: [0-9.]+ MiB of 48\\.0 MiB \\(\\d+ %\\), [0-9.]+ MB/s, .*")),
        result.err());
    assertTrue(
        result.err().chars().noneMatch(c -> c == '\r' || c == 0x1b), "no redrawing in a pipe");
    assertTrue(
        result.out().startsWith("variant 7d0c (int8/cpu) of detector 1.1.0 published"),
        result.out());
  }

  @Test
  void aMissingOrEmptyFileIsAUsageErrorAndNothingIsSent() throws Exception {
    Cli cli = new Cli(dir.resolve("c.yaml")).against(server, "t");
    Cli.Result missing =
        cli.run(
            "variants",
            "push",
            "detector",
            "1.1.0",
            dir.resolve("nope.onnx").toString(),
            "--precision",
            "fp32",
            "--ep",
            "cpu");
    assertEquals(ExitCode.USAGE, missing.exit());
    assertEquals(
        "error: no such file: "
            + dir.resolve("nope.onnx")
            + "\nhint: give the path of an .onnx model file\n",
        missing.err());
    Path empty = Files.createFile(dir.resolve("empty.onnx"));
    Cli.Result emptyResult =
        cli.run(
            "variants",
            "push",
            "detector",
            "1.1.0",
            empty.toString(),
            "--precision",
            "fp32",
            "--ep",
            "cpu");
    assertEquals(ExitCode.USAGE, emptyResult.exit());
    assertEquals(0, server.requests().size());
  }

  @Test
  void createMakesTheModelAndVersionFirst() throws Exception {
    server.on(
        "GET", "/api/v1/models/detector", (e, r) -> FakeServer.problem(e, 404, "not-found", "no"));
    server.json("POST", "/api/v1/models", 201, "{\"name\":\"detector\"}");
    server.on(
        "GET",
        "/api/v1/models/detector/versions/1.1.0",
        (e, r) -> FakeServer.problem(e, 404, "not-found", "no"));
    server.json("POST", "/api/v1/models/detector/versions", 201, "{\"version\":\"1.1.0\"}");
    Path model = dir.resolve("m.onnx");
    Files.write(model, new byte[] {1, 2, 3});
    Cli.Result result =
        new Cli(dir.resolve("c.yaml"))
            .against(server, "t")
            .run(
                "variants",
                "push",
                "detector",
                "1.1.0",
                model.toString(),
                "--precision",
                "fp32",
                "--ep",
                "cpu",
                "--create");
    assertEquals(0, result.exit(), result.toString());
    assertEquals(
        "{\"name\":\"detector\"}", server.requests("POST", "/api/v1/models").get(0).bodyText());
    assertEquals(
        "{\"version\":\"1.1.0\"}",
        server.requests("POST", "/api/v1/models/detector/versions").get(0).bodyText());
    assertEquals(3, receivedBytes);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
