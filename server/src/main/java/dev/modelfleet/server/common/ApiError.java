package dev.modelfleet.server.common;

import dev.modelfleet.onnx.UnsafeModelException;
import io.grpc.Status;

/**
 * Every error the server reports, with its stable code and how it maps to HTTP (admin API) and to
 * gRPC (agent API). Clients branch on {@link #code()}, so a code never changes meaning.
 */
public enum ApiError {
  MALFORMED_JSON(400, "Malformed JSON", Status.Code.INVALID_ARGUMENT),
  INVALID_REQUEST(400, "Invalid request", Status.Code.INVALID_ARGUMENT),
  INVALID_NAME(400, "Invalid name", Status.Code.INVALID_ARGUMENT),
  INVALID_LABELS(400, "Invalid labels", Status.Code.INVALID_ARGUMENT),
  INVALID_LABEL_SELECTOR(400, "Invalid label selector", Status.Code.INVALID_ARGUMENT),
  EMPTY_UPLOAD(400, "Empty upload", Status.Code.INVALID_ARGUMENT),
  INVALID_PUBLIC_KEY(400, "Invalid public key", Status.Code.INVALID_ARGUMENT),
  INVALID_SHA256(400, "Invalid sha256", Status.Code.INVALID_ARGUMENT),
  INVALID_ROLLOUT_PLAN(400, "Invalid rollout plan", Status.Code.INVALID_ARGUMENT),
  INVALID_SIGNATURE(400, "Invalid signature", Status.Code.INVALID_ARGUMENT),
  EMPTY_SELECTION(422, "Empty selection", Status.Code.FAILED_PRECONDITION),
  UNAUTHENTICATED(401, "Unauthenticated", Status.Code.UNAUTHENTICATED),
  ENROLLMENT_DENIED(403, "Enrollment denied", Status.Code.PERMISSION_DENIED),
  FORBIDDEN(403, "Forbidden", Status.Code.PERMISSION_DENIED),
  NOT_FOUND(404, "Not found", Status.Code.NOT_FOUND),
  METHOD_NOT_ALLOWED(405, "Method not allowed", Status.Code.UNIMPLEMENTED),
  NOT_ACCEPTABLE(406, "Not acceptable", Status.Code.INVALID_ARGUMENT),
  DUPLICATE_NAME(409, "Duplicate name", Status.Code.ALREADY_EXISTS),
  DUPLICATE_VARIANT(409, "Duplicate variant", Status.Code.ALREADY_EXISTS),
  /** (agent protocol) Enroll with a key another device holds, and not a retry of its enrollment. */
  DEVICE_KEY_ENROLLED(409, "Device key already enrolled", Status.Code.ALREADY_EXISTS),
  CONFLICT(409, "Conflict", Status.Code.ABORTED),
  VERSION_REVOKED(409, "Version revoked", Status.Code.FAILED_PRECONDITION),
  ROLLOUT_CONFLICT(409, "Rollout conflict", Status.Code.ABORTED),
  ILLEGAL_STATE(409, "Illegal in this state", Status.Code.FAILED_PRECONDITION),
  DEVICE_OFFLINE(409, "Device offline", Status.Code.FAILED_PRECONDITION),
  ROOT_KEY_OFFLINE(409, "Root key offline", Status.Code.FAILED_PRECONDITION),
  UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type", Status.Code.INVALID_ARGUMENT),
  OFFSET_OUT_OF_RANGE(416, "Offset out of range", Status.Code.OUT_OF_RANGE),
  INVALID_ONNX(422, "Invalid ONNX model", Status.Code.INVALID_ARGUMENT),
  /** An upload to the reserved model {@code modelfleet-agent} that is not that agent's jar. */
  INVALID_AGENT_RELEASE(422, "Invalid agent release", Status.Code.INVALID_ARGUMENT),
  /** A tensor keeps its bytes in a file outside the model, which ONNX Runtime would read. */
  MODEL_EXTERNAL_DATA(422, "Model reads external data", Status.Code.INVALID_ARGUMENT),
  /** A tensor's declared shape and type disagree with the data it holds. */
  MODEL_TENSOR_SIZE_MISMATCH(422, "Model tensor size mismatch", Status.Code.INVALID_ARGUMENT),
  /** Deeper or larger than the model reader's bounds. */
  MODEL_LIMIT_EXCEEDED(422, "Model exceeds reader limits", Status.Code.INVALID_ARGUMENT),
  /** The model is valid but a requested derivation (int8, fp16) cannot apply to it. */
  NOT_DERIVABLE(422, "Model cannot be derived", Status.Code.FAILED_PRECONDITION),
  /**
   * A sample file (.npy, .npz) that is malformed, of a type the server does not read (pickled
   * objects, Fortran order, big-endian), or whose arrays do not fit the model's inputs.
   */
  INVALID_SAMPLES(422, "Invalid samples", Status.Code.INVALID_ARGUMENT),
  /** A sample file, or the arrays it declares, above the server's limits. */
  SAMPLES_TOO_LARGE(413, "Samples too large", Status.Code.RESOURCE_EXHAUSTED),
  INTERNAL_ERROR(500, "Internal error", Status.Code.INTERNAL),
  STORAGE_UNAVAILABLE(503, "Artifact storage unavailable", Status.Code.UNAVAILABLE);

  private final int httpStatus;
  private final String title;
  private final Status.Code grpcCode;

  ApiError(int httpStatus, String title, Status.Code grpcCode) {
    this.httpStatus = httpStatus;
    this.title = title;
    this.grpcCode = grpcCode;
  }

  /** The stable, kebab-case code, e.g. {@code invalid-label-selector}. */
  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  public int httpStatus() {
    return httpStatus;
  }

  public String title() {
    return title;
  }

  public Status.Code grpcCode() {
    return grpcCode;
  }

  public ApiException exception(String detail) {
    return new ApiException(this, detail);
  }

  /** The refusal of a model that failed the safety check, under the check's own code. */
  public static ApiException unsafeModel(UnsafeModelException e) {
    ApiError error =
        switch (e.reason()) {
          case EXTERNAL_DATA -> MODEL_EXTERNAL_DATA;
          case TENSOR_SIZE_MISMATCH -> MODEL_TENSOR_SIZE_MISMATCH;
          case LIMIT_EXCEEDED -> MODEL_LIMIT_EXCEEDED;
          case MALFORMED -> INVALID_ONNX;
        };
    return error.exception(
        "The model was refused before ONNX Runtime saw it: " + e.getMessage() + ".");
  }
}
