package dev.modelfleet.server.quantization;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** int8-qdq through the admin API, as an operator asks for it: calibration samples as JSON. */
@QuarkusTest
class QdqDerivationApiTest {

  @Test
  void derivesPublishesAndReportsAnInt8QdqVariantOfAConvNet() {
    String model = Fixtures.modelWithVersion("1.0.0");
    Fixtures.upload(model, "1.0.0", "fp32", "cpu", QdqTestModels.convNet(21, 32, 8).toByteArray());

    JsonPath job =
        finished(
            start(
                model,
                Map.of(
                    "kinds",
                    List.of("int8-qdq"),
                    "accuracyFloor",
                    0.98,
                    "calibration",
                    Map.of("samples", samples(8), "method", "entropy"))));

    assertEquals("succeeded", job.getString("state"), job.prettify());
    Map<String, Object> v = derived(job);
    assertEquals("accepted", v.get("outcome"), v.toString());
    assertEquals("int8", v.get("precision"));
    assertNotNull(v.get("variantId"));
    assertTrue(((Number) v.get("accuracy")).doubleValue() >= 0.98, v.toString());
    assertNotNull(v.get("latencyRatio"), v.toString());
    String report = String.valueOf(v.get("report"));
    assertTrue(report.contains("activations calibrated by entropy on 8 samples"), report);
    assertTrue(report.contains("int8 weights per output channel"), report);
    assertTrue(report.contains("folded into"), report); // the BatchNormalization

    JsonPath version =
        admin()
            .get("/api/v1/models/" + model + "/versions/1.0.0")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertEquals(List.of("fp32", "int8"), version.getList("variants.precision"));
  }

  @Test
  void aJobThatNamesNoCalibrationMethodCalibratesByMse() {
    String model = Fixtures.modelWithVersion("1.0.0");
    Fixtures.upload(model, "1.0.0", "fp32", "cpu", QdqTestModels.convNet(23, 32, 8).toByteArray());

    JsonPath job =
        finished(
            start(
                model,
                Map.of(
                    "kinds",
                    List.of("int8-qdq"),
                    "accuracyFloor",
                    0.98,
                    "calibration",
                    Map.of("samples", samples(8)))));

    assertEquals("succeeded", job.getString("state"), job.prettify());
    String report = String.valueOf(derived(job).get("report"));
    assertTrue(report.contains("activations calibrated by mse on 8 samples"), report);
  }

  @Test
  void badInt8QdqRequestsAreProblemsAndQueueNothing() {
    String model = Fixtures.modelWithVersion("1.0.0");
    Fixtures.upload(model, "1.0.0", "fp32", "cpu", QdqTestModels.convNet(22, 32, 8).toByteArray());
    String inIf = Fixtures.modelWithVersion("1.0.0");
    Fixtures.upload(inIf, "1.0.0", "fp32", "cpu", TestModels.cnn(23, true, true).toByteArray());
    Map<String, Object> before = Db.snapshot();

    refused(
        model,
        Map.of("kinds", List.of("int8-qdq")),
        400,
        "invalid-request",
        "needs calibration samples");
    refused(
        model,
        Map.of(
            "kinds",
            List.of("int8-qdq"),
            "calibration",
            Map.of("samples", samples(2), "method", "kl")),
        400,
        "invalid-request",
        "use minmax, percentile, entropy or mse");
    refused(
        model,
        Map.of(
            "kinds",
            List.of("int8-static"),
            "calibration",
            Map.of("samples", samples(2), "method", "entropy")),
        400,
        "invalid-request",
        "'entropy' is for int8-qdq");
    refused(
        model,
        Map.of(
            "kinds",
            List.of("int8-static"),
            "calibration",
            Map.of("samples", samples(2), "method", "median")),
        400,
        "invalid-request",
        "calibration method 'median' is unknown; use minmax, percentile, entropy or mse");
    refused(
        model,
        Map.of(
            "kinds",
            List.of("int8-qdq", "int8-dynamic"),
            "calibration",
            Map.of("samples", samples(2))),
        400,
        "invalid-request",
        "both publish precision int8");
    refused(
        inIf,
        Map.of("kinds", List.of("int8-qdq"), "calibration", Map.of("samples", samples(2))),
        422,
        "not-derivable",
        "main graph");
    adminJson()
        .body(Map.of("kinds", List.of("int8-qdq")))
        .put("/api/v1/models/" + model + "/derivation-policy")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("detail", containsString("A policy cannot derive int8-qdq"));
    // a policy names no calibration (its samples belong to a version): a method in the body,
    // known or not, gets the same problem, not a method error
    adminJson()
        .body(Map.of("kinds", List.of("int8-qdq"), "calibration", Map.of("method", "median")))
        .put("/api/v1/models/" + model + "/derivation-policy")
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-request"))
        .body("detail", containsString("A policy cannot derive int8-qdq"));

    assertEquals(before, Db.snapshot());
  }

  /** Gaussian images [1,3,32,32], as JSON samples of the model's input. */
  private static List<Map<String, Object>> samples(int count) {
    Random random = new Random(4);
    List<Map<String, Object>> samples = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      List<Double> x = new ArrayList<>();
      for (int i = 0; i < 3 * 32 * 32; i++) {
        x.add(random.nextGaussian());
      }
      samples.add(Map.of(QdqTestModels.INPUT, Map.of("shape", List.of(1, 3, 32, 32), "data", x)));
    }
    return samples;
  }

  private static String path(String model) {
    return "/api/v1/models/" + model + "/versions/1.0.0/derivations";
  }

  private static JsonPath start(String model, Map<String, Object> body) {
    return adminJson()
        .body(body)
        .post(path(model))
        .then()
        .statusCode(202)
        .body("state", equalTo("queued"))
        .extract()
        .jsonPath();
  }

  private static void refused(
      String model, Map<String, Object> body, int status, String code, String detail) {
    adminJson()
        .body(body)
        .post(path(model))
        .then()
        .statusCode(status)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo(code))
        .body("detail", containsString(detail));
  }

  private static JsonPath finished(JsonPath started) {
    String model = started.getString("model");
    UUID job = UUID.fromString(started.getString("id"));
    long deadline = System.nanoTime() + 180_000_000_000L;
    while (true) {
      JsonPath view =
          admin().get(path(model) + "/" + job).then().statusCode(200).extract().jsonPath();
      String state = view.getString("state");
      if (List.of("succeeded", "partially_succeeded", "failed").contains(state)) {
        return view;
      }
      assertNotEquals(
          true, System.nanoTime() > deadline, "job still " + state + ": " + view.prettify());
      try {
        Thread.sleep(100); // polling the job's state, not waiting for correctness
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> derived(JsonPath job) {
    List<Map<String, Object>> variants = job.getList("variants");
    return variants.stream()
        .filter(v -> "int8-qdq".equals(v.get("kind")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no int8-qdq in " + job.prettify()));
  }
}
