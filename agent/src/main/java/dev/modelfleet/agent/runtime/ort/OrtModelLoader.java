package dev.modelfleet.agent.runtime.ort;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelLoadException;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.onnx.CheckedModel;
import dev.modelfleet.onnx.OnnxModelReader;
import dev.modelfleet.onnx.SafeSessions;
import dev.modelfleet.onnx.UnsafeModelException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Loads ONNX models into ONNX Runtime sessions on the execution provider a variant asks for,
 * falling back to the CPU when that provider is missing or fails to start; the loaded model says
 * which provider it really runs on. Every model passes the model-safety check first (once, whatever
 * the provider): a signed model is only as safe as the machine that signed it, and one with
 * external data would read the device's own identity key.
 */
public final class OrtModelLoader implements ModelLoader {

  private static final Logger LOG = Logger.getLogger("modelfleet.runtime");

  private final int intraOpThreads;
  private final ExecutionProviders providers;

  /**
   * @param intraOpThreads threads per inference call; 0 lets ONNX Runtime choose.
   */
  public OrtModelLoader(int intraOpThreads) {
    this(intraOpThreads, ExecutionProviders.detected());
  }

  public OrtModelLoader(int intraOpThreads, ExecutionProviders providers) {
    this.intraOpThreads = intraOpThreads;
    this.providers = providers;
  }

  /**
   * The process-wide ONNX Runtime environment, created quiet: errors reach callers as exceptions
   * (and from there progress reports and HTTP answers), not as stderr noise.
   */
  public static OrtEnvironment environment() {
    return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL, "modelfleet");
  }

  @Override
  public LoadedModel load(Path verifiedArtifact) throws ModelLoadException {
    return load(verifiedArtifact, ExecutionProviders.CPU);
  }

  @Override
  public LoadedModel load(Path verifiedArtifact, String executionProvider)
      throws ModelLoadException {
    CheckedModel checked = check(verifiedArtifact);
    String wanted = ExecutionProviders.normalized(executionProvider);
    String onSession = providers.sessionProvider(wanted);
    if (!onSession.equals(wanted) && !providers.isSimulated(wanted)) {
      LOG.warning(
          "execution provider '"
              + wanted
              + "' is not available in this ONNX Runtime"
              + " ("
              + providers.real()
              + "); "
              + verifiedArtifact.getFileName()
              + " runs on cpu");
    }
    if (!onSession.equals(ExecutionProviders.CPU)) {
      try {
        return open(checked, verifiedArtifact, onSession, providers.reported(wanted, onSession));
      } catch (ModelLoadException e) {
        LOG.warning(
            "execution provider '"
                + onSession
                + "' failed for "
                + verifiedArtifact.getFileName()
                + " ("
                + e.getMessage()
                + "); falling back to cpu");
      }
    }
    return open(
        checked,
        verifiedArtifact,
        ExecutionProviders.CPU,
        providers.reported(wanted, ExecutionProviders.CPU));
  }

  private static CheckedModel check(Path file) throws ModelLoadException {
    try {
      return OnnxModelReader.check(file);
    } catch (UnsafeModelException e) {
      throw new ModelLoadException(
          e.code(), "refused before ONNX Runtime saw it: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + file.getFileName() + ": " + e.getMessage(), e);
    }
  }

  private LoadedModel open(
      CheckedModel checked, Path file, String sessionProvider, String reportedProvider)
      throws ModelLoadException {
    OrtEnvironment env = environment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      // Failures reach the caller as exceptions with the same text; no stderr duplicates.
      options.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
      if (intraOpThreads > 0) {
        options.setIntraOpNumThreads(intraOpThreads);
      }
      ExecutionProviders.configure(options, sessionProvider);
      OrtSession session = SafeSessions.open(env, checked, options);
      try {
        return new OrtLoadedModel(env, session, reportedProvider);
      } catch (OrtException | RuntimeException e) {
        session.close();
        throw e;
      }
    } catch (OrtException | RuntimeException e) {
      throw new ModelLoadException(
          "ONNX Runtime could not load " + file.getFileName() + ": " + e.getMessage(), e);
    }
  }
}
