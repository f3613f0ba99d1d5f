package dev.modelfleet.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * What {@code EnrollRequest.device_key_proof} signs, shared by agent, simulator and server so that
 * they cannot drift apart:
 *
 * <pre>
 * "modelfleet-enroll-v1\n" || SHA-256(enrollment_token, UTF-8) || SHA-256(certificate_request)
 *   || device_public_key
 * </pre>
 *
 * The prefix keeps the signature from verifying as anything else the device key signs; the token
 * binds it to one enrollment (a proof made for another fleet's token is useless here); the
 * certificate request binds it to the TLS key the device asked a certificate for, so whoever
 * replays a captured request gets a certificate only for a key they do not hold. Fixed-length parts
 * come first and the one variable-length part last, so no two inputs encode alike.
 */
public final class EnrollmentProof {

  public static final String PREFIX = "modelfleet-enroll-v1\n";

  private EnrollmentProof() {}

  /** The bytes the device key signs; {@code certificateRequest} empty when none is sent. */
  public static byte[] signedBytes(
      String enrollmentToken, byte[] certificateRequest, byte[] devicePublicKey) {
    byte[] prefix = PREFIX.getBytes(StandardCharsets.US_ASCII);
    byte[] token = sha256(enrollmentToken.getBytes(StandardCharsets.UTF_8));
    byte[] request = sha256(certificateRequest);
    byte[] out = new byte[prefix.length + token.length + request.length + devicePublicKey.length];
    int at = 0;
    for (byte[] part : new byte[][] {prefix, token, request, devicePublicKey}) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
