package dev.modelfleet.server.model;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modelfleet.onnx.testing.HostileModels;
import dev.modelfleet.onnx.testing.HostileModels.Hideout;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The reviewed attack through the admin API as an operator token would send it: a model whose
 * tensor is "external data" at the server's own director key (absolute, {@code ../}, relative to
 * the working directory, which ONNX Runtime still follows for models loaded from bytes), hidden in
 * an initializer, a Constant attribute, an If branch or a sparse initializer. Each is refused with
 * 422 and its own code before ONNX Runtime sees it, and nothing is stored.
 */
@QuarkusTest
class HostileModelUploadTest {

  static Path keyDir() {
    return Path.of(ConfigProvider.getConfig().getValue("modelfleet.key-dir", String.class));
  }

  static List<String> directorKeyLocations() {
    Path key = keyDir().resolve("director.key");
    return List.of(
        key.toAbsolutePath().toString(),
        key.toString(), // relative to the server's working directory
        "../keys/director.key", // from the artifact store's folder next to the keys
        "../../../../../../../../.." + key.toAbsolutePath());
  }

  @ParameterizedTest
  @EnumSource(Hideout.class)
  void aModelReadingTheDirectorKeyIsRefusedAndNothingIsStored(Hideout where) throws Exception {
    Path key = keyDir().resolve("director.key");
    assertEquals(true, Files.isRegularFile(key), "the server holds a director key at " + key);
    long length = Files.size(key);
    String model = Fixtures.modelWithVersion("1");
    Map<String, Object> before = Db.snapshot();
    for (String location : directorKeyLocations()) {
      upload(model, HostileModels.externalData(where, location, length))
          .then()
          .statusCode(422)
          .contentType(PROBLEM_JSON)
          .body("code", equalTo("model-external-data"))
          .body("detail", containsString("external file"))
          .body("detail", not(containsString("BEGIN")));
    }
    assertEquals(before, Db.snapshot(), "no variant, artifact row or file");
  }

  /** ONNX Runtime's own error told whether a path exists and how long it is; ours does not. */
  @Test
  void theRefusalTellsNothingAboutTheFileItNamed() {
    String model = Fixtures.modelWithVersion("1");
    String existing = keyDir().resolve("director.key").toAbsolutePath().toString();
    String missing = existing.replace("director.key", "no-such-file.key");
    String a =
        upload(model, HostileModels.externalData(Hideout.INITIALIZER, existing, 48))
            .then()
            .statusCode(422)
            .extract()
            .path("detail");
    String b =
        upload(model, HostileModels.externalData(Hideout.INITIALIZER, missing, 48))
            .then()
            .statusCode(422)
            .extract()
            .path("detail");
    assertEquals(a, b, "same answer whether the file exists or not; the location is not echoed");
  }

  @Test
  void otherCraftedModelsAreRefusedWithTheirOwnCodes() {
    String model = Fixtures.modelWithVersion("1");
    Map<String, Object> before = Db.snapshot();
    upload(model, HostileModels.sizeMismatch(100_000_000, 16))
        .then()
        .statusCode(422)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("model-tensor-size-mismatch"));
    upload(model, HostileModels.sparseIndexOutOfBounds())
        .then()
        .statusCode(422)
        .body("code", equalTo("model-tensor-size-mismatch"));
    upload(model, HostileModels.epContextFile("/etc/shadow"))
        .then()
        .statusCode(422)
        .body("code", equalTo("model-external-data"));
    assertEquals(before, Db.snapshot());
  }

  /**
   * The old cost estimator died of a StackOverflowError (500) on the first, which ONNX Runtime
   * loads (it skips the wrongly typed field the estimator descended into); the second nests too
   * deep for any bounded reader.
   */
  @Test
  void selfNestedGraphsAreRefusedNotACrash() {
    String model = Fixtures.modelWithVersion("1");
    Map<String, Object> before = Db.snapshot();
    upload(model, HostileModels.nestedInsideAName(2_000))
        .then()
        .statusCode(422)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-onnx"))
        .body("detail", containsString("wire type"));
    upload(model, HostileModels.selfNestedAttribute(2_500))
        .then()
        .statusCode(422)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("model-limit-exceeded"));
    upload(model, HostileModels.nestedSubgraphs(40))
        .then()
        .statusCode(422)
        .body("code", equalTo("model-limit-exceeded"));
    assertEquals(before, Db.snapshot());
  }

  private static Response upload(String model, byte[] body) {
    return admin()
        .contentType("application/octet-stream")
        .body(body)
        .queryParam("precision", "fp32")
        .queryParam("executionProvider", "cpu")
        .post("/api/v1/models/" + model + "/versions/1/variants");
  }
}
