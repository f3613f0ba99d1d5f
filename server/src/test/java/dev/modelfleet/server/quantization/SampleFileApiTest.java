package dev.modelfleet.server.quantization;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.server.artifact.ArtifactCollector;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Validation and calibration samples uploaded as NumPy files: the same figures as the same samples
 * in JSON, hostile files refused with nothing stored, a large file streamed, and a job resumed
 * after a restart still finding its file.
 */
@QuarkusTest
class SampleFileApiTest {

  private static final int SAMPLES = 8;

  @Inject DerivationRunner runner;
  @Inject ArtifactStore store;
  @Inject ArtifactCollector collector;

  /**
   * The artifact collector keeps a sample file while a derivation job names it (the job may be
   * resumed or read again) and removes one no job names once it is older than the grace period.
   */
  @Test
  void aSampleFileAJobNamesOutlivesTheGraceAndAnUnusedOneGoes() throws IOException {
    Random random = new Random(7);
    float[] flat = new float[SAMPLES * 16];
    for (int i = 0; i < flat.length; i++) {
      flat[i] = (float) random.nextGaussian();
    }
    String model = regressorModel();
    String used = upload(model, NpyFiles.floats(flat, SAMPLES, 1, 16)).getString("id");
    flat[0] += 1; // other bytes, another artifact
    String unused = upload(model, NpyFiles.floats(flat, SAMPLES, 1, 16)).getString("id");
    finished(
        start(
            model,
            Map.of(
                "kinds",
                List.of("int8-dynamic"),
                "accuracyFloor",
                0.5,
                "validation",
                Map.of("samplesFile", used))));
    for (String id : List.of(used, unused)) {
      Files.setLastModifiedTime(
          storedFile(id), FileTime.from(Instant.now().minus(Duration.ofHours(49))));
    }

    ArtifactCollector.Run run = collector.collect(false);

    assertTrue(run.ran());
    assertTrue(Files.exists(storedFile(used)), "named by a job: kept");
    assertFalse(run.collected().contains(used));
    assertTrue(run.collected().contains(unused), "named by nothing: collected");
    assertFalse(Files.exists(storedFile(unused)));
  }

  private static Path storedFile(String sha256) {
    return Path.of(ConfigProvider.getConfig().getValue("modelfleet.artifact-dir", String.class))
        .resolve("sha256")
        .resolve(sha256.substring(0, 2))
        .resolve(sha256);
  }

  @Test
  void npySamplesGiveTheSameFiguresAsTheSameSamplesSentAsJson() {
    float[][] data = new float[SAMPLES][16];
    Random random = new Random(4);
    List<Map<String, Object>> json = new ArrayList<>();
    float[] flat = new float[SAMPLES * 16];
    for (int s = 0; s < SAMPLES; s++) {
      List<Double> x = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        data[s][i] = (float) random.nextGaussian();
        flat[s * 16 + i] = data[s][i];
        x.add((double) data[s][i]);
      }
      json.add(Map.of("x", Map.of("shape", List.of(1, 16), "data", x)));
    }
    String jsonModel = regressorModel();
    JsonPath fromJson =
        finished(
            start(
                jsonModel,
                Map.of(
                    "kinds",
                    List.of("int8-static"),
                    "accuracyFloor",
                    0.5,
                    "validation",
                    Map.of("samples", json),
                    "calibration",
                    Map.of("samples", json, "method", "percentile", "percentile", 99.0))));

    String npyModel = regressorModel();
    JsonPath file = upload(npyModel, NpyFiles.floats(flat, SAMPLES, 1, 16));
    assertEquals("npy", file.getString("format"));
    assertEquals(SAMPLES, file.getInt("samples"));
    assertEquals(List.of(1, 16), file.getList("shapes.x"));
    String id = file.getString("id");
    JsonPath fromNpy =
        finished(
            start(
                npyModel,
                Map.of(
                    "kinds",
                    List.of("int8-static"),
                    "accuracyFloor",
                    0.5,
                    "validation",
                    Map.of("samplesFile", id),
                    "calibration",
                    Map.of("samplesFile", id, "method", "percentile", "percentile", 99.0))));

    Map<String, Object> a = derived(fromJson);
    Map<String, Object> b = derived(fromNpy);
    assertEquals("accepted", a.get("outcome"), a.toString());
    assertEquals(a.get("outcome"), b.get("outcome"), b.toString());
    assertEquals(a.get("accuracy"), b.get("accuracy"));
    assertEquals(a.get("outputs"), b.get("outputs"));
    assertEquals(a.get("size"), b.get("size"));
    assertEquals(String.valueOf(a.get("report")), String.valueOf(b.get("report")));
  }

  @Test
  void hostileFilesAreRefusedWithTheirCodeAndNothingStored() {
    String model = regressorModel();
    byte[] good = NpyFiles.floats(new float[32], 2, 1, 16);
    byte[] badMagic = good.clone();
    badMagic[3] = 'X';
    Map<String, Object> before = Db.snapshot();
    refused(model, badMagic, 422, "invalid-samples", "does not start with");
    refused(model, NpyFiles.resource("objects.npy"), 422, "invalid-samples", "pickled");
    refused(model, NpyFiles.resource("fortran.npy"), 422, "invalid-samples", "Fortran");
    refused(
        model,
        NpyFiles.floats(new float[34], 2, 1, 17),
        422,
        "invalid-samples",
        "input 'x' takes [-1, 16]");
    refused(
        model, java.util.Arrays.copyOf(good, good.length - 3), 422, "invalid-samples", "truncated");
    refused(
        model,
        NpyFiles.header("{" + " ".repeat(20_000) + "}"),
        422,
        "invalid-samples",
        "limit is 4096");
    refused(
        model,
        NpyFiles.header(NpyFiles.dict("<f4", false, 1L << 40, 1L << 40)),
        413,
        "samples-too-large",
        "above the limit");
    refused(model, new byte[0], 400, "empty-upload", "empty");
    assertEquals(before, Db.snapshot());

    // a job naming a file that was never stored queues nothing
    adminJson()
        .body(
            Map.of(
                "kinds",
                List.of("int8-dynamic"),
                "validation",
                Map.of("samplesFile", Dsse.sha256Hex(badMagic))))
        .post(path(model))
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON)
        .body("detail", containsString("upload it first"));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void a64MiBFileStreamsToTheStoreAndAJobResumedAfterARestartStillReadsIt() throws Exception {
    String model = Fixtures.modelWithVersion("1.0.0");
    String source =
        Fixtures.upload(model, "1.0.0", "fp32", "cpu", TestModels.regressor(15).toByteArray())
            .getString("id");
    // 16 samples of [65536, 16] floats: 64 MiB of data. The body pauses after 48 MiB until the
    // server's staging file holds 32 MiB: a server that buffered the body before handling it
    // would never get there, and the pause would end in the timeout instead.
    byte[] header = NpyFiles.header(NpyFiles.dict("<f4", false, 16, 65536, 16));
    long total = header.length + (64L << 20);
    AtomicBoolean sawItOnDisk = new AtomicBoolean();
    InputStream body =
        new FilterInputStream(NpyFiles.streamed(header, 64L << 20)) {
          private long sent;
          private boolean paused;

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (!paused && sent >= (48L << 20)) {
              paused = true;
              sawItOnDisk.set(waitForStaging(32L << 20));
            }
            int n = super.read(b, off, (int) Math.min(len, 1 << 16));
            sent += Math.max(n, 0);
            return n;
          }
        };
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://localhost:" + RestAssured.port + samplesPath(model)))
                    .header("Authorization", "Bearer " + Api.ADMIN_TOKEN)
                    .header("Content-Type", "application/octet-stream")
                    .POST(
                        HttpRequest.BodyPublishers.fromPublisher(
                            HttpRequest.BodyPublishers.ofInputStream(() -> body), total))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(201, response.statusCode(), response.body());
    assertTrue(sawItOnDisk.get(), "the body was on disk before it was all sent");
    JsonPath uploaded = new JsonPath(response.body());
    assertEquals(16, uploaded.getInt("samples"));
    assertEquals(List.of(65536, 16), uploaded.getList("shapes.x"));
    assertEquals(total, uploaded.getLong("size"));
    assertTrue(store.contains(uploaded.getString("id")));

    // a small file for the job itself, then the job as a dead server left it: only its row
    String id = upload(model, NpyFiles.floats(noise(4 * 16), 4, 1, 16)).getString("id");
    UUID job = UUID.randomUUID();
    Timestamp longAgo = Timestamp.from(Instant.now().minusSeconds(3600));
    Db.execute(
        "insert into derivation_jobs (id, version_id, source_variant_id, kinds, accuracy_floor,"
            + " state, step, percent, attempts, owner, heartbeat_at, created_at, validation)"
            + " select ?, version_id, id, '[\"int8-dynamic\"]'::jsonb, 0.5, 'running', 'validating',"
            + " 0, 1, 'server-that-died', ?, ?, cast(? as jsonb) from variants where id = ?",
        job,
        longAgo,
        longAgo,
        "{\"samplesFile\": \"" + id + "\"}",
        UUID.fromString(source));
    runner.wake();

    JsonPath done = poll(model, job);
    assertEquals("succeeded", done.getString("state"), done.prettify());
    Map<String, Object> v = derived(done);
    assertEquals("accepted", v.get("outcome"), v.toString());
  }

  /** Whether an upload's staging file reaches {@code bytes} within a minute. */
  private static boolean waitForStaging(long bytes) {
    Path root =
        Path.of(ConfigProvider.getConfig().getValue("modelfleet.artifact-dir", String.class));
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (Stream<Path> files = Files.walk(root)) {
        boolean there =
            files.anyMatch(
                f -> {
                  try {
                    return f.getFileName().toString().startsWith("upload-")
                        && Files.size(f) >= bytes;
                  } catch (IOException e) {
                    return false; // committed or discarded meanwhile
                  }
                });
        if (there) {
          return true;
        }
        Thread.sleep(20);
      } catch (IOException | java.io.UncheckedIOException e) {
        // a file vanished during the walk: look again
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private static float[] noise(int n) {
    Random random = new Random(9);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  private static String regressorModel() {
    String model = Fixtures.modelWithVersion("1.0.0");
    Fixtures.upload(model, "1.0.0", "fp32", "cpu", TestModels.regressor(15).toByteArray());
    return model;
  }

  private static String path(String model) {
    return "/api/v1/models/" + model + "/versions/1.0.0/derivations";
  }

  private static String samplesPath(String model) {
    return "/api/v1/models/" + model + "/versions/1.0.0/derivation-samples";
  }

  private static JsonPath upload(String model, byte[] npy) {
    return admin()
        .contentType("application/octet-stream")
        .body(npy)
        .post(samplesPath(model))
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  private void refused(String model, byte[] body, int status, String code, String detail) {
    admin()
        .contentType("application/octet-stream")
        .body(body)
        .post(samplesPath(model))
        .then()
        .statusCode(status)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo(code))
        .body("detail", containsString(detail));
    assertFalse(store.contains(Dsse.sha256Hex(body)), code + ": nothing stored");
  }

  private static JsonPath start(String model, Map<String, Object> body) {
    return adminJson().body(body).post(path(model)).then().statusCode(202).extract().jsonPath();
  }

  private static JsonPath finished(JsonPath started) {
    return poll(started.getString("model"), UUID.fromString(started.getString("id")));
  }

  private static JsonPath poll(String model, UUID job) {
    long deadline = System.nanoTime() + 180_000_000_000L;
    while (true) {
      JsonPath view =
          admin().get(path(model) + "/" + job).then().statusCode(200).extract().jsonPath();
      String state = view.getString("state");
      if (state.equals("succeeded")
          || state.equals("partially_succeeded")
          || state.equals("failed")) {
        return view;
      }
      assertNotEquals(
          true, System.nanoTime() > deadline, "job still " + state + ": " + view.prettify());
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static Map<String, Object> derived(JsonPath job) {
    List<Map<String, Object>> variants = job.getList("variants");
    assertEquals(1, variants.size(), job.prettify());
    return variants.get(0);
  }
}
