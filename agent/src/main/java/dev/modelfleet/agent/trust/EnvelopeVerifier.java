package dev.modelfleet.agent.trust;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.security.PublicKey;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Checks a DSSE envelope against a set of trusted keys. The payload is returned as bytes and parsed
 * by the caller only after this succeeded: nothing unsigned reaches a parser.
 */
public final class EnvelopeVerifier {

  /** Valid signatures by trusted keys, but fewer than the threshold. */
  public static final String THRESHOLD = "signature-threshold";

  private EnvelopeVerifier() {}

  /**
   * @param trustedKeys key id → key, the keys of the one role allowed to sign this document
   * @param what a noun for messages ("desired state", "manifest of model x")
   * @return the verified payload bytes
   */
  public static byte[] verify(
      SignedEnvelope envelope, String expectedType, Map<String, PublicKey> trustedKeys, String what)
      throws VerificationException {
    return verify(envelope, expectedType, trustedKeys, 1, what);
  }

  /**
   * As {@link #verify(SignedEnvelope, String, Map, String)}, needing valid signatures by at least
   * {@code threshold} distinct trusted keys (the role's threshold in root metadata).
   */
  public static byte[] verify(
      SignedEnvelope envelope,
      String expectedType,
      Map<String, PublicKey> trustedKeys,
      int threshold,
      String what)
      throws VerificationException {
    if (!expectedType.equals(envelope.getPayloadType())) {
      throw new VerificationException(
          "payload-type-mismatch",
          what
              + " has payload type '"
              + envelope.getPayloadType()
              + "', expected '"
              + expectedType
              + "'; the server sent the wrong kind of document");
    }
    if (envelope.getSignaturesCount() == 0) {
      throw new VerificationException(
          "signature-missing", what + " carries no signature; it was refused");
    }
    byte[] signedBytes = Dsse.preAuthEncoding(expectedType, envelope.getPayload().toByteArray());
    StringBuilder unknown = new StringBuilder();
    boolean sawTrustedKey = false;
    Set<String> verifiedBy = new HashSet<>();
    for (var signature : envelope.getSignaturesList()) {
      PublicKey key = trustedKeys.get(signature.getKeyId());
      if (key == null) {
        unknown.append(unknown.length() == 0 ? "" : ", ").append(shortId(signature.getKeyId()));
        continue;
      }
      sawTrustedKey = true;
      // Distinct keys: one key signing twice is still one signature toward the threshold.
      if (!verifiedBy.contains(signature.getKeyId())
          && Ed25519.verify(key, signedBytes, signature.getSignature().toByteArray())) {
        verifiedBy.add(signature.getKeyId());
        if (verifiedBy.size() >= threshold) {
          return envelope.getPayload().toByteArray();
        }
      }
    }
    if (!verifiedBy.isEmpty()) {
      throw new VerificationException(
          THRESHOLD,
          what
              + " is validly signed by "
              + verifiedBy.size()
              + " trusted key(s), but the root"
              + " metadata requires "
              + threshold
              + " for this role; it was refused");
    }
    if (!sawTrustedKey) {
      throw new VerificationException(
          "unknown-key",
          what
              + " is signed only by key(s) "
              + unknown
              + " which the trusted root metadata does"
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
