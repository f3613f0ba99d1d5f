package dev.modelfleet.agent.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;

/** Loads ONNX models into ONNX Runtime sessions on the CPU execution provider. */
public final class OrtModelLoader implements ModelLoader {

  private final int intraOpThreads;

  /** @param intraOpThreads threads per inference call; 0 lets ONNX Runtime choose. */
  public OrtModelLoader(int intraOpThreads) {
    this.intraOpThreads = intraOpThreads;
  }

  @Override
  public LoadedModel load(Path verifiedArtifact) throws ModelLoadException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      if (intraOpThreads > 0) {
        options.setIntraOpNumThreads(intraOpThreads);
      }
      OrtSession session = env.createSession(verifiedArtifact.toString(), options);
      try {
        return new OrtLoadedModel(env, session);
      } catch (OrtException | RuntimeException e) {
        session.close();
        throw e;
      }
    } catch (OrtException | RuntimeException e) {
      throw new ModelLoadException(
          "ONNX Runtime could not load " + verifiedArtifact.getFileName() + ": " + e.getMessage(),
          e);
    }
  }
}
