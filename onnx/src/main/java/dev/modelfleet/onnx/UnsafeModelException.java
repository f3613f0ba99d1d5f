package dev.modelfleet.onnx;

/**
 * A model file that must not reach ONNX Runtime, with a stable reason code that the server answers
 * with (problem+json) and the agent reports to the server.
 */
public final class UnsafeModelException extends Exception {

  /** Why a model is refused; {@link #code()} never changes meaning. */
  public enum Reason {
    /**
     * A tensor keeps its bytes in another file ({@code data_location = EXTERNAL} or {@code
     * external_data} entries), or a node names a file to read (an EP context node with {@code
     * embed_mode = 0}): ONNX Runtime would read that file, wherever it points.
     */
    EXTERNAL_DATA("model-external-data"),
    /** A tensor's declared shape and type disagree with the data it holds. */
    TENSOR_SIZE_MISMATCH("model-tensor-size-mismatch"),
    /** Deeper, larger or with more parts than {@link OnnxLimits} allow. */
    LIMIT_EXCEEDED("model-limit-exceeded"),
    /** Not a well-formed ONNX protobuf model. */
    MALFORMED("model-malformed");

    private final String code;

    Reason(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final Reason reason;

  public UnsafeModelException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** The stable, kebab-case code, e.g. {@code model-external-data}. */
  public String code() {
    return reason.code();
  }
}
