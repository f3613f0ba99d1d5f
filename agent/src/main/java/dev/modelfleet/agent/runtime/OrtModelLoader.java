package dev.modelfleet.agent.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;

/** Loads ONNX models into ONNX Runtime sessions on the CPU execution provider. */
public final class OrtModelLoader implements ModelLoader {

  private final int intraOpThreads;

  /** @param intraOpThreads threads per inference call; 0 lets ONNX Runtime choose. */
  public OrtModelLoader(int intraOpThreads) {
    this.intraOpThreads = intraOpThreads;
  }

  /**
   * The process-wide ONNX Runtime environment, created quiet: errors reach callers as
   * exceptions (and from there progress reports and HTTP answers), not as stderr noise.
   */
  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "modelfleet");
  }

  @Override
  public LoadedModel load(Path verifiedArtifact) throws ModelLoadException {
    OrtEnvironment env = environment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // Failures reach the caller as exceptions with the same text; no stderr duplicates.
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
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
