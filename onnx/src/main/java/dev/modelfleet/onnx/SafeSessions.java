package dev.modelfleet.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The only way ModelFleet opens a model in ONNX Runtime: the model passes {@link OnnxModelReader}'s
 * safety check first, and the session reads it as ONNX protobuf only (ONNX Runtime would otherwise
 * also accept its own flatbuffer format, which the check does not read). The session options are
 * the caller's; only the format entry is added to them.
 */
public final class SafeSessions {

  /** ONNX Runtime's session config key fixing the model format ("ONNX" or "ORT"). */
  static final String LOAD_FORMAT = "session.load_model_format";

  private SafeSessions() {}

  /** Opens a model that passed the check; the one place ModelFleet calls createSession. */
  public static OrtSession open(
      OrtEnvironment env, CheckedModel model, OrtSession.SessionOptions options)
      throws OrtException {
    options.addConfigEntry(LOAD_FORMAT, "ONNX");
    return model.file() != null
        ? env.createSession(model.file().toString(), options)
        : env.createSession(model.bytes(), options);
  }

  public static OrtSession open(OrtEnvironment env, Path model, OrtSession.SessionOptions options)
      throws UnsafeModelException, IOException, OrtException {
    return open(env, OnnxModelReader.check(model), options);
  }

  public static OrtSession open(OrtEnvironment env, byte[] model, OrtSession.SessionOptions options)
      throws UnsafeModelException, OrtException {
    return open(env, OnnxModelReader.check(model), options);
  }
}
