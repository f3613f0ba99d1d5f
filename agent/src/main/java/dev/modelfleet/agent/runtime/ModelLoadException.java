package dev.modelfleet.agent.runtime;

/** A model that did not load, with the reason code the agent reports for it. */
public class ModelLoadException extends Exception {

  /** ONNX Runtime (or a provider) failed to load a model that passed the safety check. */
  public static final String LOAD_FAILED = "load-failed";

  private final String reasonCode;

  public ModelLoadException(String message, Throwable cause) {
    this(LOAD_FAILED, message, cause);
  }

  /**
   * @param reasonCode e.g. {@code model-external-data} for a model refused by the safety check
   *     before ONNX Runtime saw it
   */
  public ModelLoadException(String reasonCode, String message, Throwable cause) {
    super(message, cause);
    this.reasonCode = reasonCode;
  }

  public String reasonCode() {
    return reasonCode;
  }
}
