package dev.modelfleet.agent.inference;

/** A request the caller must fix; answered with 400 and this message. */
final class BadRequestException extends Exception {
  BadRequestException(String message) {
    super(message);
  }
}
