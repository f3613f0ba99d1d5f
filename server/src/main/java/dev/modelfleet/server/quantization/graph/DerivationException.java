package dev.modelfleet.server.quantization.graph;

/** A model this derivation cannot handle; the message is shown to the operator as is. */
public class DerivationException extends RuntimeException {
  public DerivationException(String message) {
    super(message);
  }
}
