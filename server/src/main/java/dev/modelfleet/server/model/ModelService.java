package dev.modelfleet.server.model;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Names;
import dev.modelfleet.server.model.ModelViews.ModelView;
import dev.modelfleet.server.model.ModelViews.VersionView;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/** Models and their versions. */
@ApplicationScoped
public class ModelService {

  private final Clock clock;

  ModelService(Clock clock) {
    this.clock = clock;
  }

  @Transactional
  public ModelView create(String name, String description) {
    Names.require("Model name", name);
    if (Model.findByName(name).isPresent()) {
      throw ApiError.DUPLICATE_NAME.exception("A model named '" + name + "' already exists.");
    }
    Model model = new Model();
    model.id = UUID.randomUUID();
    model.name = name;
    model.description = description;
    model.createdAt = clock.instant();
    model.persist();
    return view(model);
  }

  @Transactional
  public List<ModelView> list() {
    return Model.<Model>list("order by name").stream().map(ModelService::view).toList();
  }

  @Transactional
  public ModelView get(String name) {
    return view(model(name));
  }

  @Transactional
  public VersionView createVersion(String modelName, String version) {
    Model model = model(modelName);
    Names.require("Version", version);
    if (ModelVersion.find(modelName, version).isPresent()) {
      throw ApiError.DUPLICATE_NAME.exception(
          "Model '" + modelName + "' already has a version '" + version + "'.");
    }
    ModelVersion row = new ModelVersion();
    row.id = UUID.randomUUID();
    row.model = model;
    row.version = version;
    row.createdAt = clock.instant();
    row.persist();
    return VersionView.of(row, List.of());
  }

  @Transactional
  public VersionView getVersion(String modelName, String version) {
    ModelVersion row = version(modelName, version);
    return VersionView.of(row, Variant.ofVersion(row));
  }

  /** The variant's file as the store holds it: its sha256 and what to call it when saved. */
  public record VariantFile(String sha256, String filename) {}

  @Transactional
  public VariantFile variantFile(String modelName, String version, UUID variantId) {
    Variant variant = variantOf(modelName, version, variantId);
    return new VariantFile(
        variant.sha256,
        modelName
            + "-"
            + version
            + "-"
            + variant.precision
            + "-"
            + variant.executionProvider
            + ".onnx");
  }

  @Transactional
  public ModelViews.ManifestView manifest(String modelName, String version, UUID variantId) {
    Variant variant = variantOf(modelName, version, variantId);
    try {
      var envelope = dev.modelfleet.protocol.agent.v1.SignedEnvelope.parseFrom(variant.manifest);
      return new ModelViews.ManifestView(
          envelope.getPayloadType(),
          java.util.Base64.getEncoder().encodeToString(variant.manifest),
          envelope.getSignaturesList().stream().map(s -> s.getKeyId()).toList());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored manifest of variant " + variantId + " is corrupt", e);
    }
  }

  private static Variant variantOf(String modelName, String version, UUID variantId) {
    ModelVersion row = version(modelName, version);
    Variant variant = Variant.findById(variantId);
    if (variant == null || !variant.version.id.equals(row.id)) {
      throw ApiError.NOT_FOUND.exception(
          "Version '"
              + version
              + "' of model '"
              + modelName
              + "' has no variant "
              + variantId
              + ".");
    }
    return variant;
  }

  /**
   * Withdraws a version: assignments and rollouts refuse it from now on, and running rollouts of it
   * pause. Devices already running it keep it until an operator points them elsewhere. Idempotent;
   * the first reason stays.
   */
  @Transactional
  public VersionView revokeVersion(String modelName, String version, String reason) {
    ModelVersion row = version(modelName, version);
    if (!row.isRevoked()) {
      row.revokedAt = clock.instant();
      row.revokedReason =
          reason == null || reason.isBlank() ? "revoked by an operator" : reason.strip();
    }
    return VersionView.of(row, Variant.ofVersion(row));
  }

  /** The version, refusing a revoked one with a 409 that says so. */
  public static ModelVersion usableVersion(String modelName, String version) {
    ModelVersion row = version(modelName, version);
    if (row.isRevoked()) {
      throw ApiError.VERSION_REVOKED.exception(
          "Version '"
              + version
              + "' of model '"
              + modelName
              + "' was revoked ("
              + row.revokedReason
              + "); choose another version.");
    }
    return row;
  }

  public static ModelVersion version(String modelName, String version) {
    model(modelName);
    return ModelVersion.find(modelName, version)
        .orElseThrow(
            () ->
                ApiError.NOT_FOUND.exception(
                    "Model '" + modelName + "' has no version '" + version + "'."));
  }

  /** The model by name, or 404 not-found. */
  public static Model model(String name) {
    return Model.findByName(name)
        .orElseThrow(() -> ApiError.NOT_FOUND.exception("No model named '" + name + "'."));
  }

  private static ModelView view(Model model) {
    List<String> versions =
        ModelVersion.<ModelVersion>list("model = ?1 order by createdAt", model).stream()
            .map(v -> v.version)
            .toList();
    return new ModelView(model.id, model.name, model.description, model.createdAt, versions);
  }
}
