package dev.modelfleet.server.delta;

import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.FineTunes;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Eventually;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
class DeltaMakingTest {

  /** 64 features × 1024 hidden: about 300 kB, nearly all weights. */
  private static byte[] classifier(long seed) {
    return SampleModels.classifier(seed, 64, 1024, 10);
  }

  private static void addVersion(String model, String version) {
    adminJson()
        .body(Map.of("version", version))
        .post("/api/v1/models/" + model + "/versions")
        .then()
        .statusCode(201);
  }

  private static List<Map<String, Object>> deltas(String model, String version) {
    return admin()
        .get("/api/v1/models/" + model + "/versions/" + version + "/deltas")
        .then()
        .statusCode(200)
        .extract()
        .jsonPath()
        .getList("$");
  }

  private static JsonPath deltasWhenWeighed(String model, String version, int count) {
    return Eventually.get(
        Duration.ofSeconds(30),
        () -> {
          JsonPath body =
              admin()
                  .get("/api/v1/models/" + model + "/versions/" + version + "/deltas")
                  .then()
                  .statusCode(200)
                  .extract()
                  .jsonPath();
          assertEquals(
              count, body.getList("$").size(), "deltas weighed so far: " + body.prettify());
          return body;
        });
  }

  @Test
  void publishing_a_fine_tuned_version_makes_a_small_delta_from_the_previous_one() {
    String model = Fixtures.modelWithVersion("1");
    byte[] v1 = classifier(31);
    JsonPath base = Fixtures.upload(model, "1", "fp32", "cpu", v1);
    addVersion(model, "2");
    // the head (w2, b2) fine-tuned: a fifth of its weights changed by about 1 %
    byte[] v2 = FineTunes.fineTuned(v1, 2, 0.2, 5);
    JsonPath target = Fixtures.upload(model, "2", "fp32", "cpu", v2);

    JsonPath delta = deltasWhenWeighed(model, "2", 1);

    assertTrue(delta.getBoolean("[0].kept"));
    assertEquals(base.getString("id"), delta.getString("[0].baseVariantId"));
    assertEquals("1", delta.getString("[0].baseVersion"));
    assertEquals(base.getString("sha256"), delta.getString("[0].baseSha256"));
    assertEquals(target.getString("id"), delta.getString("[0].targetVariantId"));
    assertEquals(v2.length, delta.getLong("[0].targetSize"));
    assertTrue(
        delta.getDouble("[0].sizeRatio") < 0.2, "delta ratio " + delta.getDouble("[0].sizeRatio"));
    String sha256 = delta.getString("[0].sha256");
    assertEquals(
        1,
        Db.number(
            "select count(*) from artifacts where sha256 = '"
                + sha256
                + "' and size = "
                + delta.getLong("[0].size")));
    assertTrue(
        Db.artifactFiles().stream().anyMatch(f -> f.endsWith(sha256)),
        "the delta's bytes are in the store");
    assertTrue(deltas(model, "1").isEmpty(), "the first version has nothing to start from");
  }

  @Test
  void a_version_unrelated_to_the_previous_one_keeps_no_delta() {
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp32", "cpu", classifier(41));
    addVersion(model, "2");
    Fixtures.upload(model, "2", "fp32", "cpu", classifier(42));

    JsonPath delta = deltasWhenWeighed(model, "2", 1);

    assertFalse(delta.getBoolean("[0].kept"));
    assertNull(delta.get("[0].sha256"));
    assertTrue(delta.getDouble("[0].sizeRatio") > 0.7, "saves less than 30 %");
  }

  @Test
  void another_model_and_another_precision_are_never_bases() {
    String other = Fixtures.modelWithVersion("1");
    byte[] v1 = classifier(51);
    Fixtures.upload(other, "1", "fp32", "cpu", v1);
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp16", "cpu", classifier(52));
    addVersion(model, "2");
    // the same bytes as the other model's fine-tune: still nothing to start from in this model
    Fixtures.upload(model, "2", "fp32", "cpu", FineTunes.fineTuned(v1, 2, 0.2, 6));
    // a later variant of a related pair proves the worker has passed the upload above
    String witness = Fixtures.modelWithVersion("1");
    byte[] w1 = classifier(53);
    Fixtures.upload(witness, "1", "fp32", "cpu", w1);
    addVersion(witness, "2");
    Fixtures.upload(witness, "2", "fp32", "cpu", FineTunes.fineTuned(w1, 2, 0.2, 7));
    deltasWhenWeighed(witness, "2", 1);

    assertTrue(deltas(model, "2").isEmpty());
  }

  @Test
  void the_deltas_of_an_unknown_version_are_not_found() {
    String model = Fixtures.modelWithVersion("1");

    admin().get("/api/v1/models/" + model + "/versions/9/deltas").then().statusCode(404);
    admin().get("/api/v1/models/no-such-model/versions/1/deltas").then().statusCode(404);
  }
}
