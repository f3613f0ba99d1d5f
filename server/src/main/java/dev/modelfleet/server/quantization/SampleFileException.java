package dev.modelfleet.server.quantization;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.ApiException;

/** A sample file refused: malformed, unsupported, not fitting the model, or above a limit. */
final class SampleFileException extends IllegalArgumentException {

  private final boolean tooLarge;

  private SampleFileException(String message, boolean tooLarge) {
    super(message);
    this.tooLarge = tooLarge;
  }

  static SampleFileException invalid(String message) {
    return new SampleFileException(message, false);
  }

  static SampleFileException tooLarge(String message) {
    return new SampleFileException(message, true);
  }

  ApiException problem() {
    return (tooLarge ? ApiError.SAMPLES_TOO_LARGE : ApiError.INVALID_SAMPLES)
        .exception(getMessage() + ".");
  }
}
