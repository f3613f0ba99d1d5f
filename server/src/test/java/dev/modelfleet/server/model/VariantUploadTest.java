package dev.modelfleet.server.model;

import static dev.modelfleet.server.support.Api.PROBLEM_JSON;
import static dev.modelfleet.server.support.Api.admin;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.support.Db;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Signatures;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

@QuarkusTest
class VariantUploadTest {

  @Test
  void uploadRecordsSignatureAndSignsManifest() throws Exception {
    String model = Fixtures.modelWithVersion("1.0.0");
    byte[] bytes = SampleModels.classifier(7);

    var variant = Fixtures.upload(model, "1.0.0", "fp32", "cpu", bytes);

    assertEquals(Dsse.sha256Hex(bytes), variant.getString("sha256"));
    assertEquals(bytes.length, variant.getLong("size"));
    assertEquals(SampleModels.INPUT, variant.getString("inputs[0].name"));
    assertEquals("FLOAT", variant.getString("inputs[0].type"));
    assertEquals(List.of(-1, 4), variant.getList("inputs[0].shape"));
    assertEquals(SampleModels.OUTPUT, variant.getString("outputs[0].name"));
    assertEquals(List.of(-1, 3), variant.getList("outputs[0].shape"));
    admin()
        .get("/api/v1/models/" + model + "/versions/1.0.0")
        .then()
        .statusCode(200)
        .body("variants", hasSize(1))
        .body("variants[0].id", equalTo(variant.getString("id")));

    String envelope =
        admin()
            .get(
                "/api/v1/models/"
                    + model
                    + "/versions/1.0.0/variants/"
                    + variant.getString("id")
                    + "/manifest")
            .then()
            .statusCode(200)
            .extract()
            .path("envelopeBase64");
    SignedEnvelope signed = SignedEnvelope.parseFrom(Base64.getDecoder().decode(envelope));
    byte[] targetsKey = Signatures.targetsKey(rootMetadata());
    Signatures.verify(signed, targetsKey, Dsse.VARIANT_MANIFEST_TYPE);
    VariantManifest manifest = VariantManifest.parseFrom(signed.getPayload());
    assertEquals(model, manifest.getModel());
    assertEquals(variant.getString("id"), manifest.getVariantId());
    assertEquals(Dsse.sha256Hex(bytes), manifest.getSha256());
    assertEquals(bytes.length, manifest.getSize());
  }

  @Test
  void sameBytesInTwoVersionsAreStoredOnce() {
    String model = Fixtures.modelWithVersion("1");
    dev.modelfleet.server.support.Api.adminJson()
        .body(java.util.Map.of("version", "2"))
        .post("/api/v1/models/" + model + "/versions")
        .then()
        .statusCode(201);
    byte[] bytes = SampleModels.classifier(System.nanoTime());
    String sha = Dsse.sha256Hex(bytes);

    Fixtures.upload(model, "1", "fp32", "cpu", bytes);
    Fixtures.upload(model, "2", "fp32", "cpu", bytes);

    long copies = Db.artifactFiles().stream().filter(f -> f.endsWith(sha)).count();
    assertEquals(1, copies);
    assertTrue(Db.artifactFiles().contains("sha256/" + sha.substring(0, 2) + "/" + sha));
  }

  @Test
  void notOnnxIsUnprocessableAndLeavesNothing() {
    String model = Fixtures.modelWithVersion("1");
    var before = Db.snapshot();
    upload(model, "fp32", "cpu", "this is not a model".getBytes(StandardCharsets.UTF_8))
        .then()
        .statusCode(422)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("invalid-onnx"))
        .body("detail", containsString("refused before ONNX Runtime saw it"))
        .body("detail", org.hamcrest.Matchers.not(containsString("staging")));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void emptyUploadIsRefusedAndLeavesNothing() {
    String model = Fixtures.modelWithVersion("1");
    var before = Db.snapshot();
    upload(model, "fp32", "cpu", new byte[0])
        .then()
        .statusCode(400)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("empty-upload"));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void duplicateVariantIsConflict() {
    String model = Fixtures.modelWithVersion("1");
    Fixtures.upload(model, "1", "fp32", "cpu", SampleModels.classifier(1));
    var before = Db.snapshot();
    upload(model, "fp32", "cpu", SampleModels.classifier(2))
        .then()
        .statusCode(409)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("duplicate-variant"));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void badParametersAndContentTypeAreRefused() {
    String model = Fixtures.modelWithVersion("1");
    var before = Db.snapshot();
    byte[] bytes = SampleModels.classifier(3);
    admin()
        .contentType("application/octet-stream")
        .body(bytes)
        .queryParam("executionProvider", "cpu")
        .post("/api/v1/models/" + model + "/versions/1/variants")
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-request"))
        .body("detail", containsString("precision"));
    upload(model, "FP 32", "cpu", bytes)
        .then()
        .statusCode(400)
        .body("code", equalTo("invalid-name"));
    admin()
        .contentType("application/json")
        .body("{}")
        .queryParam("precision", "fp32")
        .queryParam("executionProvider", "cpu")
        .post("/api/v1/models/" + model + "/versions/1/variants")
        .then()
        .statusCode(415)
        .contentType(PROBLEM_JSON)
        .body("code", equalTo("unsupported-media-type"));
    admin()
        .contentType("application/octet-stream")
        .body(bytes)
        .queryParam("precision", "fp32")
        .queryParam("executionProvider", "cpu")
        .post("/api/v1/models/" + model + "/versions/9/variants")
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    admin()
        .get(
            "/api/v1/models/"
                + model
                + "/versions/1/variants/"
                + java.util.UUID.randomUUID()
                + "/manifest")
        .then()
        .statusCode(404)
        .body("code", equalTo("not-found"));
    assertEquals(before, Db.snapshot());
  }

  @Test
  void realWorldModelWhenPresent() throws Exception {
    Optional<Path> silero = sharedModel("silero_vad_v5.onnx");
    Assumptions.assumeTrue(silero.isPresent(), "shared/models/silero_vad_v5.onnx not present");
    String model = Fixtures.modelWithVersion("5");
    byte[] bytes = Files.readAllBytes(silero.get());

    var variant = Fixtures.upload(model, "5", "fp32", "cpu", bytes);

    assertEquals(Dsse.sha256Hex(bytes), variant.getString("sha256"));
    assertTrue(variant.getList("inputs.name").contains("input"), variant.prettify());
    assertTrue(variant.getList("outputs").size() >= 1);
  }

  /** shared/models sits next to the repository root; tests may run from the module or the root. */
  static Optional<Path> sharedModel(String name) {
    return Stream.of("../shared/models", "../../shared/models")
        .map(dir -> Path.of(dir, name).toAbsolutePath().normalize())
        .filter(Files::isRegularFile)
        .findFirst();
  }

  private static io.restassured.response.Response upload(
      String model, String precision, String provider, byte[] body) {
    return admin()
        .contentType("application/octet-stream")
        .body(body)
        .queryParam("precision", precision)
        .queryParam("executionProvider", provider)
        .post("/api/v1/models/" + model + "/versions/1/variants");
  }

  private static dev.modelfleet.protocol.agent.v1.RootMetadata rootMetadata() throws Exception {
    String envelope =
        admin()
            .get("/api/v1/trust/root")
            .then()
            .statusCode(200)
            .extract()
            .path("signedEnvelopeBase64");
    return Signatures.verifiedRoot(
        SignedEnvelope.parseFrom(Base64.getDecoder().decode(envelope)), Signatures.pinnedRootKey());
  }
}
