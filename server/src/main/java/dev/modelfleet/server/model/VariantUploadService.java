package dev.modelfleet.server.model;

import dev.modelfleet.onnx.CheckedModel;
import dev.modelfleet.onnx.OnnxModelReader;
import dev.modelfleet.onnx.UnsafeModelException;
import dev.modelfleet.server.artifact.ArtifactStore;
import dev.modelfleet.server.artifact.StagedArtifact;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Names;
import dev.modelfleet.server.model.ModelViews.VariantView;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * Publishes a variant: stream to disk while hashing, pass the model-safety check (nothing in it may
 * make ONNX Runtime read another file), prove ONNX Runtime loads it, store it by content, record
 * and sign it. An agent release ({@link AgentRelease}) is checked as a jar instead. Any refusal
 * leaves neither file nor row behind.
 */
@ApplicationScoped
public class VariantUploadService {

  private final ArtifactStore store;
  private final OnnxInspector inspector;
  private final VariantRegistrar registrar;
  private final CostEstimator costs;

  VariantUploadService(
      ArtifactStore store,
      OnnxInspector inspector,
      VariantRegistrar registrar,
      CostEstimator costs) {
    this.store = store;
    this.inspector = inspector;
    this.registrar = registrar;
    this.costs = costs;
  }

  public VariantView upload(
      String model,
      String version,
      String precision,
      String provider,
      VariantNeeds needs,
      InputStream body)
      throws IOException {
    Names.require("Precision", precision);
    Names.require("Execution provider", provider);
    registrar.checkCanAdd(model, version, precision, provider, needs);

    StagedArtifact staged = store.stage(body);
    try {
      if (staged.size() == 0) {
        throw ApiError.EMPTY_UPLOAD.exception(
            "The request body is empty; send the .onnx file as application/octet-stream.");
      }
      OnnxInspector.Signature signature;
      CostEstimator.Cost cost;
      AgentRelease.Needs release = AgentRelease.Needs.NONE;
      if (AgentRelease.is(model)) {
        release = AgentRelease.check(staged.file(), version);
        signature = new OnnxInspector.Signature(List.of(), List.of());
        cost = CostEstimator.Cost.UNKNOWN;
      } else {
        CheckedModel checked = check(staged.file());
        signature = inspector.inspect(checked, staged.file());
        cost = costs.estimate(checked.graph());
      }
      boolean newFile = store.commit(staged);
      try {
        return registrar.register(
            model,
            version,
            precision,
            provider,
            needs,
            release,
            cost,
            staged.sha256(),
            staged.size(),
            signature);
      } catch (RuntimeException e) {
        if (newFile) {
          registrar.deleteIfUnrecorded(staged.sha256());
        }
        throw e;
      }
    } finally {
      store.discard(staged);
    }
  }

  /** The safety check and the graph summary in one read of the staged file. */
  private static CheckedModel check(java.nio.file.Path file) throws IOException {
    try {
      return OnnxModelReader.read(file);
    } catch (UnsafeModelException e) {
      throw ApiError.unsafeModel(e);
    }
  }
}
