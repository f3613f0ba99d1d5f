package dev.modelfleet.onnx.delta;

import java.io.IOException;

/** A delta that cannot be applied: malformed, corrupt, or made against other bytes. */
public class DeltaException extends IOException {

  public DeltaException(String message) {
    super(message);
  }

  public DeltaException(String message, Throwable cause) {
    super(message, cause);
  }
}
