package dev.modelfleet.server.support;

import static dev.modelfleet.server.support.Api.admin;
import static dev.modelfleet.server.support.Api.adminJson;

import dev.modelfleet.onnx.samples.SampleModels;
import io.restassured.path.json.JsonPath;
import java.util.Map;

/** Data set up through the admin API, the way an operator would. */
public final class Fixtures {

  private Fixtures() {}

  /** Creates an enrollment token and returns its secret. */
  public static String enrollmentToken(Map<String, String> labels, int maxUses) {
    return adminJson()
        .body(
            Map.of(
                "name",
                Api.unique("token"),
                "labels",
                labels,
                "maxUses",
                maxUses,
                "expiresInSeconds",
                3600))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(201)
        .extract()
        .path("token");
  }

  public static JsonPath enrollmentTokenCreated(Map<String, String> labels, int maxUses) {
    return adminJson()
        .body(
            Map.of(
                "name",
                Api.unique("token"),
                "labels",
                labels,
                "maxUses",
                maxUses,
                "expiresInSeconds",
                3600))
        .post("/api/v1/enrollment-tokens")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  /** A model with one version; returns the model name. */
  public static String modelWithVersion(String version) {
    String name = Api.unique("model");
    adminJson()
        .body(Map.of("name", name, "description", "test model"))
        .post("/api/v1/models")
        .then()
        .statusCode(201);
    adminJson()
        .body(Map.of("version", version))
        .post("/api/v1/models/" + name + "/versions")
        .then()
        .statusCode(201);
    return name;
  }

  public static JsonPath upload(
      String model, String version, String precision, String provider, byte[] bytes) {
    return admin()
        .contentType("application/octet-stream")
        .body(bytes)
        .queryParam("precision", precision)
        .queryParam("executionProvider", provider)
        .post("/api/v1/models/" + model + "/versions/" + version + "/variants")
        .then()
        .statusCode(201)
        .extract()
        .jsonPath();
  }

  /** An upload with any query parameters (precision, executionProvider, arch, ...), unchecked. */
  public static io.restassured.response.Response uploadWith(
      String model, String version, Map<String, ?> params, byte[] bytes) {
    return admin()
        .contentType("application/octet-stream")
        .body(bytes)
        .queryParams(params)
        .post("/api/v1/models/" + model + "/versions/" + version + "/variants");
  }

  /** A model version with a cpu/fp32 variant made of a fresh sample classifier. */
  public static Published publishedClassifier(long seed) {
    String model = modelWithVersion("1.0.0");
    byte[] bytes = SampleModels.classifier(seed);
    JsonPath variant = upload(model, "1.0.0", "fp32", "cpu", bytes);
    return new Published(
        model, "1.0.0", variant.getString("id"), variant.getString("sha256"), bytes);
  }

  public record Published(
      String model, String version, String variantId, String sha256, byte[] bytes) {}
}
