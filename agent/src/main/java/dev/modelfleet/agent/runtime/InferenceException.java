package dev.modelfleet.agent.runtime;

/** An inference request that failed; {@code clientError} separates bad input from our faults. */
public class InferenceException extends Exception {

  private final boolean clientError;

  public InferenceException(boolean clientError, String message) {
    super(message);
    this.clientError = clientError;
  }

  public InferenceException(boolean clientError, String message, Throwable cause) {
    super(message, cause);
    this.clientError = clientError;
  }

  public boolean clientError() {
    return clientError;
  }
}
