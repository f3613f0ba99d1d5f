package dev.modelfleet.agent.trust;

/**
 * A refusal with a stable machine-readable code (reported as DeploymentProgress.reason_code) and a
 * sentence an operator can act on.
 */
public class VerificationException extends Exception {

  private final String reasonCode;

  public VerificationException(String reasonCode, String message) {
    super(message);
    this.reasonCode = reasonCode;
  }

  public VerificationException(String reasonCode, String message, Throwable cause) {
    super(message, cause);
    this.reasonCode = reasonCode;
  }

  public String reasonCode() {
    return reasonCode;
  }
}
