package dev.modelfleet.agent.trust;

import dev.modelfleet.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.Dsse;
import java.security.PublicKey;
import java.util.Map;

/**
 * Checks a DSSE envelope against a set of trusted keys. The payload is returned as bytes and
 * parsed by the caller only after this succeeded: nothing unsigned reaches a parser.
 */
public final class EnvelopeVerifier {

  private EnvelopeVerifier() {}

  /**
   * @param trustedKeys key id → key, the keys of the one role allowed to sign this document
   * @param what a noun for messages ("desired state", "manifest of model x")
   * @return the verified payload bytes
   */
  public static byte[] verify(
      SignedEnvelope envelope, String expectedType, Map<String, PublicKey> trustedKeys, String what)
      throws VerificationException {
    if (!expectedType.equals(envelope.getPayloadType())) {
      throw new VerificationException(
          "payload-type-mismatch",
          what + " has payload type '" + envelope.getPayloadType() + "', expected '"
              + expectedType + "'; the server sent the wrong kind of document");
    }
    if (envelope.getSignaturesCount() == 0) {
      throw new VerificationException(
          "signature-missing", what + " carries no signature; it was refused");
    }
    byte[] signedBytes = Dsse.preAuthEncoding(expectedType, envelope.getPayload().toByteArray());
    StringBuilder unknown = new StringBuilder();
    boolean sawTrustedKey = false;
    for (var signature : envelope.getSignaturesList()) {
      PublicKey key = trustedKeys.get(signature.getKeyId());
      if (key == null) {
        unknown.append(unknown.length() == 0 ? "" : ", ").append(shortId(signature.getKeyId()));
        continue;
      }
      sawTrustedKey = true;
      if (Ed25519.verify(key, signedBytes, signature.getSignature().toByteArray())) {
        return envelope.getPayload().toByteArray();
      }
    }
    if (!sawTrustedKey) {
      throw new VerificationException(
          "unknown-key",
          what + " is signed only by key(s) " + unknown + " which the trusted root metadata does"
              + " not list for this role; check the server's signing keys against the fleet root");
    }
    throw new VerificationException(
        "signature-invalid",
        what + " has a signature that does not verify: the document was altered or corrupted");
  }

  static String shortId(String keyId) {
    return keyId.length() > 12 ? keyId.substring(0, 12) + "…" : keyId;
  }
}
