package dev.modelfleet.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.cli.support.Cli;
import dev.modelfleet.cli.support.FakeServer;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bundle create} sends what the operator asked for, writes the streamed tar to the file
 * (only once whole), and a refusal is the server's message with no file left behind.
 */
class BundleCreateTest {

  @TempDir Path dir;
  private FakeServer server;

  @BeforeEach
  void start() {
    server = FakeServer.http();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Cli.Result run(String... args) {
    return new Cli(dir.resolve("config.yaml")).against(server, "t").run(args);
  }

  @Test
  void theBundleIsWrittenToTheFileAndTheRequestNamesTheDevicesAndExpiry() throws Exception {
    byte[] tar = new byte[300_000];
    for (int i = 0; i < tar.length; i++) {
      tar[i] = (byte) (i * 31);
    }
    server.on(
        "POST",
        "/api/v1/bundles",
        (exchange, request) -> {
          exchange.getResponseHeaders().set("Content-Type", "application/x-tar");
          exchange.getResponseHeaders().set("X-Bundle-Id", "b-1");
          exchange.getResponseHeaders().set("X-Bundle-Expires-At", "2026-12-31T00:00:00Z");
          exchange.sendResponseHeaders(200, tar.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(tar);
          }
        });
    Path file = dir.resolve("site.tar");
    Cli.Result result =
        run("bundle", "create", "--devices", "d1, d2", "--expires", "30d", "-f", file.toString());
    assertEquals(0, result.exit(), result.toString());
    assertArrayEquals(tar, Files.readAllBytes(file));
    assertTrue(result.out().contains("wrote bundle b-1"), result.toString());
    String body = server.requests("POST", "/api/v1/bundles").get(0).bodyText();
    assertEquals("{\"deviceIds\":[\"d1\",\"d2\"],\"expiresIn\":\"30d\"}", body);
  }

  @Test
  void aRefusalIsTheServersProblemAndLeavesNoFile() {
    server.on(
        "POST",
        "/api/v1/bundles",
        (exchange, request) ->
            FakeServer.problem(
                exchange,
                400,
                "invalid-request",
                "'expiresIn' must be more than 0 and at most 180 days"
                    + " (modelfleet.bundle.max-expiry); got '999d'."));
    Path file = dir.resolve("site.tar");
    Cli.Result result =
        run("bundle", "create", "--selector", "site=a", "--expires", "999d", "-f", file.toString());
    assertTrue(result.exit() != 0, result.toString());
    assertTrue(result.err().contains("max-expiry"), result.toString());
    assertFalse(Files.exists(file));
    assertFalse(Files.exists(dir.resolve("site.tar.partial")));
  }

  @Test
  void anExistingFileIsKeptUnlessForced() throws Exception {
    Path file = dir.resolve("site.tar");
    Files.writeString(file, "keep me");
    Cli.Result result = run("bundle", "create", "--selector", "site=a", "-f", file.toString());
    assertEquals(ExitCode.USAGE, result.exit(), result.toString());
    assertTrue(result.err().contains("--force"), result.toString());
    assertEquals("keep me", Files.readString(file));
  }

  @Test
  void aClassBundleNamesTheClassesAndTheModelVersionsTheyRun() throws Exception {
    server.on(
        "POST",
        "/api/v1/bundles",
        (exchange, request) -> {
          exchange.getResponseHeaders().set("Content-Type", "application/x-tar");
          exchange.getResponseHeaders().set("X-Bundle-Id", "b-2");
          exchange.sendResponseHeaders(200, 3);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(new byte[] {1, 2, 3});
          }
        });
    Path file = dir.resolve("rig.tar");
    Cli.Result result =
        run(
            "bundle",
            "create",
            "--classes",
            "3fa9c2d41b7e0a55,0011223344556677",
            "--model",
            "detector=2.1",
            "--model",
            "ocr=1.0",
            "-f",
            file.toString());
    assertEquals(0, result.exit(), result.toString());
    assertEquals(
        "{\"hardwareClasses\":[\"3fa9c2d41b7e0a55\",\"0011223344556677\"],"
            + "\"models\":[\"detector=2.1\",\"ocr=1.0\"]}",
        server.requests("POST", "/api/v1/bundles").get(0).bodyText());
  }

  @Test
  void classesWithoutAModelOrAModelWithoutClassesIsAUsageErrorBeforeAnyRequest() {
    Path file = dir.resolve("rig.tar");
    Cli.Result noModel = run("bundle", "create", "--classes", "3fa9c2d41b7e0a55", "-f", "" + file);
    assertEquals(ExitCode.USAGE, noModel.exit(), noModel.toString());
    assertTrue(noModel.err().contains("--model NAME=VERSION"), noModel.toString());
    Cli.Result noClass =
        run("bundle", "create", "--selector", "site=a", "--model", "d=1", "-f", "" + file);
    assertEquals(ExitCode.USAGE, noClass.exit(), noClass.toString());
    Cli.Result nothing = run("bundle", "create", "-f", "" + file);
    assertEquals(ExitCode.USAGE, nothing.exit(), nothing.toString());
    assertTrue(nothing.err().contains("--classes"), nothing.toString());
    assertTrue(server.requests("POST", "/api/v1/bundles").isEmpty());
    assertFalse(Files.exists(file));
  }
}
