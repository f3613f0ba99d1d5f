package dev.modelfleet.agent.runtime;

public class ModelLoadException extends Exception {
  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
