package dev.modelfleet.server.quantization;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.server.artifact.ArtifactCollector;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;

/**
 * Derivation jobs judged by the comparators an operator names per output, floors per kind, and a
 * rejected variant's file: downloadable while kept, then released and collected.
 */
@QuarkusTest
class ComparatorJobApiTest {

  private static final String MAPS = "maps";

  @Inject RejectedVariants rejected;
  @Inject ArtifactCollector collector;

  /**
   * A probability map judged by IoU at its threshold: int8 keeps every decision that matters, so
   * the variant is published, although its cosine similarity is below the floor the default
   * (cosine) comparator would apply; the same model judged by the default is rejected.
   */
  @Test
  void anIouComparatorAcceptsAMapVariantTheDefaultCosineRejects() throws OrtException {
    String model = Fixtures.modelWithVersion("1.0.0");
    byte[] fp32 = TestModels.probabilityMap(3).toByteArray();
    Fixtures.upload(model, "1.0.0", "fp32", "cpu", fp32);
    double positive = positiveShare(fp32);
    assertTrue(
        positive > 0.1 && positive < 0.9,
        "the reference's maps mark some pixels and not others, so IoU measures something: "
            + positive);

    JsonPath job =
        finished(
            start(
                model,
                "1.0.0",
                Map.of(
                    "kinds",
                    List.of("int8-dynamic"),
                    "accuracyFloor",
                    1.0,
                    "comparators",
                    Map.of(MAPS, List.of("iou@0.5>=0.9")))));

    Map<String, Object> v = derived(job, "int8-dynamic");
    assertEquals("accepted", v.get("outcome"), job.prettify());
    assertNotNull(v.get("variantId"));
    assertEquals(Map.of(MAPS, List.of("iou@0.5>=0.9")), job.getMap("comparators"));
    List<Map<String, Object>> comparisons = comparisons(v);
    assertEquals(1, comparisons.size(), comparisons.toString());
    Map<String, Object> iou = comparisons.get(0);
    assertEquals(MAPS, iou.get("output"));
    assertEquals("iou@0.5>=0.9", iou.get("comparator"));
    assertEquals(true, iou.get("passed"));
    assertEquals(true, iou.get("chosen"));
    assertTrue(number(iou, "value") >= 0.9, iou.toString());
    double cosine = number(outputs(v).get(0), "cosineSimilarity");
    assertTrue(cosine < 1.0, "the default comparator at floor 1.0 would reject it: " + cosine);
    assertNull(v.get("rejectedFile"), "an accepted variant is downloaded as a variant");

    // judged by the default comparator, at the same floor, the same variant is rejected
    adminJson()
        .body(Map.of("version", "2.0.0"))
        .post("/api/v1/models/" + model + "/versions")
        .then()
        .statusCode(201);
    Fixtures.upload(model, "2.0.0", "fp32", "cpu", fp32);
    JsonPath byDefault =
        finished(
            start(model, "2.0.0", Map.of("kinds", List.of("int8-dynamic"), "accuracyFloor", 1.0)));
    Map<String, Object> d = derived(byDefault, "int8-dynamic");
    assertEquals("rejected", d.get("outcome"), byDefault.prettify());
    Map<String, Object> defaultCosine = comparisons(d).get(0);
    assertEquals("cosine>=1", defaultCosine.get("comparator"));
    assertEquals(false, defaultCosine.get("chosen"));
    assertEquals(false, defaultCosine.get("passed"));
    assertTrue(
        String.valueOf(d.get("reason")).contains("output 'maps' cosine"), d.get("reason") + "");
  }

  /** Floors per kind: each kind's default comparator uses its own floor, the rest the job's. */
  @Test
  void floorsPerKindApplyToEachKindsDefaultComparator() {
    String model = Fixtures.modelWithVersion("1.0.0");
    Fixtures.upload(model, "1.0.0", "fp32", "cpu", TestModels.regressor(21).toByteArray());

    JsonPath job =
        finished(
            start(
                model,
                "1.0.0",
                Map.of(
                    "kinds",
                    List.of("int8-dynamic", "fp16"),
                    "accuracyFloor",
                    1.0,
                    "floors",
                    Map.of("fp16", 0.99))));

    assertEquals(0.99, job.getDouble("floors.fp16"), 1e-9, job.prettify());
    Map<String, Object> int8 = derived(job, "int8-dynamic");
    Map<String, Object> fp16 = derived(job, "fp16");
    assertEquals("rejected", int8.get("outcome"), job.prettify());
    assertEquals("cosine>=1", comparisons(int8).get(0).get("comparator"));
    assertEquals("accepted", fp16.get("outcome"), job.prettify());
    assertEquals("cosine>=0.99", comparisons(fp16).get(0).get("comparator"));
  }

  @Test
  void comparatorsThatCannotApplyAreRefusedNamingTheOutputAndNothingIsStored() {
    String model = Fixtures.modelWithVersion("1.0.0");
    Fixtures.upload(model, "1.0.0", "fp32", "cpu", TestModels.probabilityMap(4).toByteArray());
    Map<String, Object> before = Db.snapshot();

    refused(
        model,
        Map.of("kinds", List.of("fp16"), "comparators", Map.of(MAPS, List.of("iou>=0.9"))),
        "Output 'maps': 'iou>=0.9' is not a comparison; accepted: ");
    refused(
        model,
        Map.of("kinds", List.of("fp16"), "comparators", Map.of(MAPS, List.of("cosine<=0.9"))),
        "cosine is better higher");
    refused(
        model,
        Map.of("kinds", List.of("fp16"), "comparators", Map.of(MAPS, List.of("top32>=0.9"))),
        "Output 'maps': top32>=0.9 does not apply: top32 needs at least 32 classes on the"
            + " output's last axis; it has 16");
    refused(
        model,
        Map.of("kinds", List.of("fp16"), "comparators", Map.of("boxes", List.of("cosine>=0.9"))),
        "'comparators' names output 'boxes', which the model does not have; its outputs are"
            + " [maps]");
    refused(
        model,
        Map.of("kinds", List.of("fp16"), "comparators", Map.of(MAPS, List.of())),
        "gives output 'maps' no comparator");
    refused(
        model,
        Map.of("kinds", List.of("fp16"), "floors", Map.of("int8-dynamic", 0.9)),
        "'floors' names kind 'int8-dynamic', which this job does not derive");
    refused(
        model,
        Map.of("kinds", List.of("fp16"), "floors", Map.of("fp16", 1.5)),
        "'floors' of fp16 must be greater than 0 and at most 1");

    assertEquals(before, Db.snapshot(), "a refused job stores nothing");
  }

  /**
   * A rejected variant's file: listed in its job with a link, downloadable (whole and in ranges,
   * with its sha256), then, once its retention passed, released by the sweep, gone from the job and
   * the API, and removed by the artifact collector.
   */
  @Test
  void aRejectedVariantIsDownloadableWhileKeptThenGone() throws IOException {
    String model = Fixtures.modelWithVersion("1.0.0");
    Fixtures.upload(model, "1.0.0", "fp32", "cpu", TestModels.regressor(22).toByteArray());
    JsonPath job =
        finished(
            start(model, "1.0.0", Map.of("kinds", List.of("int8-dynamic"), "accuracyFloor", 1.0)));
    Map<String, Object> v = derived(job, "int8-dynamic");
    assertEquals("rejected", v.get("outcome"));
    @SuppressWarnings("unchecked")
    Map<String, Object> file = (Map<String, Object>) v.get("rejectedFile");
    assertNotNull(file, v.toString());
    String href = (String) file.get("href");
    String sha256 = (String) file.get("sha256");
    assertEquals(
        "/api/v1/models/"
            + model
            + "/versions/1.0.0/derivations/"
            + job.getString("id")
            + "/variants/int8-dynamic/file",
        href);
    Instant until = Instant.parse((String) file.get("retainedUntil"));
    assertTrue(until.isAfter(Instant.now().plus(Duration.ofDays(6))), "kept 7 days: " + until);

    Response whole = admin().get(href).then().statusCode(200).extract().response();
    byte[] bytes = whole.asByteArray();
    assertEquals(sha256, Dsse.sha256Hex(bytes));
    assertEquals(sha256, whole.header("X-Checksum-Sha256"));
    assertEquals(String.valueOf(bytes.length), whole.header("Content-Length"));
    assertEquals(((Number) v.get("size")).longValue(), bytes.length);
    Response tail =
        admin().header("Range", "bytes=10-").get(href).then().statusCode(206).extract().response();
    assertArrayEquals(Arrays.copyOfRange(bytes, 10, bytes.length), tail.asByteArray());
    assertEquals(
        "bytes 10-" + (bytes.length - 1) + "/" + bytes.length, tail.header("Content-Range"));
    admin()
        .header("Range", "bytes=" + bytes.length + "-")
        .get(href)
        .then()
        .statusCode(416)
        .contentType(PROBLEM_JSON);

    // not yet due: the sweep keeps it
    rejected.expire(Instant.now());
    admin().get(href).then().statusCode(200);

    // past its retention: released, no longer listed or served
    assertTrue(rejected.expire(until.plusSeconds(1)) >= 1);
    JsonPath after = poll(model, "1.0.0", job.getString("id"));
    assertNull(derived(after, "int8-dynamic").get("rejectedFile"), after.prettify());
    admin()
        .get(href)
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON)
        .body("detail", containsString("was kept until"));

    // and the collector removes the bytes once they are older than its grace period
    Path stored = storedFile(sha256);
    assertTrue(Files.exists(stored));
    Files.setLastModifiedTime(stored, FileTime.from(Instant.now().minus(Duration.ofHours(49))));
    ArtifactCollector.Run run = collector.collect(false);
    assertTrue(run.ran());
    assertTrue(run.collected().contains(sha256), run.toString());
    assertFalse(Files.exists(stored));
  }

  /** Any variant's file, published or derived, downloads through the version's variants. */
  @Test
  void aVariantsFileDownloadsWithItsSha256AndRanges() {
    String model = Fixtures.modelWithVersion("1.0.0");
    byte[] fp32 = TestModels.regressor(23).toByteArray();
    JsonPath variant = Fixtures.upload(model, "1.0.0", "fp32", "cpu", fp32);
    String path =
        "/api/v1/models/" + model + "/versions/1.0.0/variants/" + variant.getString("id") + "/file";

    Response whole = admin().get(path).then().statusCode(200).extract().response();
    assertArrayEquals(fp32, whole.asByteArray());
    assertEquals(variant.getString("sha256"), whole.header("X-Checksum-Sha256"));
    assertEquals(String.valueOf(fp32.length), whole.header("Content-Length"));
    assertTrue(whole.header("Content-Disposition").contains(model + "-1.0.0-fp32-cpu.onnx"));
    Response part =
        admin().header("Range", "bytes=0-9").get(path).then().statusCode(206).extract().response();
    assertArrayEquals(Arrays.copyOfRange(fp32, 0, 10), part.asByteArray());
    assertEquals("bytes 0-9/" + fp32.length, part.header("Content-Range"));

    admin()
        .get(
            "/api/v1/models/"
                + model
                + "/versions/1.0.0/variants/00000000-0000-0000-0000-000000000000/file")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON);
    admin()
        .get(
            "/api/v1/models/"
                + model
                + "/versions/1.0.0/derivations/00000000-0000-0000-0000-000000000000/variants/fp16/file")
        .then()
        .statusCode(404)
        .contentType(PROBLEM_JSON);
  }

  // --- helpers --------------------------------------------------------------------------------

  /** The share of map pixels above 0.5 when the reference runs on the job's validation inputs. */
  private static double positiveShare(byte[] model) throws OrtException {
    ValidationSet set = Derivations.validationSet(model, null);
    long positive = 0;
    long total = 0;
    try (OrtSession.SessionOptions options = VariantCheck.options();
        OrtSession session = VariantCheck.open(model, options)) {
      for (Map<String, ValidationSet.Sample> sample : set.samples()) {
        Map<String, OnnxTensor> in = VariantCheck.tensors(session, sample);
        try (OrtSession.Result result = session.run(in)) {
          FloatBuffer map = ((OnnxTensor) result.get(0)).getFloatBuffer();
          while (map.hasRemaining()) {
            positive += map.get() > 0.5f ? 1 : 0;
            total++;
          }
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
      }
    }
    return (double) positive / total;
  }

  private static Path storedFile(String sha256) {
    return Path.of(ConfigProvider.getConfig().getValue("modelfleet.artifact-dir", String.class))
        .resolve("sha256")
        .resolve(sha256.substring(0, 2))
        .resolve(sha256);
  }

  private static String path(String model, String version) {
    return "/api/v1/models/" + model + "/versions/" + version + "/derivations";
  }

  private static JsonPath start(String model, String version, Map<String, Object> body) {
    return adminJson()
        .body(body)
        .post(path(model, version))
        .then()
        .statusCode(202)
        .extract()
        .jsonPath();
  }

  private static void refused(String model, Map<String, Object> body, String detail) {
    adminJson()
        .body(body)
        .post(path(model, "1.0.0"))
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-request"))
        .body("detail", containsString(detail));
  }

  private static JsonPath finished(JsonPath started) {
    long deadline = System.nanoTime() + 180_000_000_000L;
    while (true) {
      JsonPath view =
          poll(started.getString("model"), started.getString("version"), started.getString("id"));
      String state = view.getString("state");
      if (List.of("succeeded", "partially_succeeded", "failed").contains(state)) {
        return view;
      }
      assertFalse(System.nanoTime() > deadline, "job still " + state + ": " + view.prettify());
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static JsonPath poll(String model, String version, String job) {
    return admin()
        .get(path(model, version) + "/" + job)
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> derived(JsonPath job, String kind) {
    List<Map<String, Object>> variants = job.getList("variants");
    return variants.stream()
        .filter(v -> kind.equals(v.get("kind")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " in " + job.prettify()));
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> comparisons(Map<String, Object> derived) {
    return (List<Map<String, Object>>) derived.get("comparisons");
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> outputs(Map<String, Object> derived) {
    return (List<Map<String, Object>>) derived.get("outputs");
  }

  private static double number(Map<String, Object> map, String key) {
    return ((Number) map.get(key)).doubleValue();
  }
}
