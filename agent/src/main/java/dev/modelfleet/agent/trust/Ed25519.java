package dev.modelfleet.agent.trust;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/** Ed25519 through the JDK alone, with keys in the encodings the protocol uses (SPKI, PKCS#8). */
public final class Ed25519 {

  private static final String ALGORITHM = "Ed25519";

  private Ed25519() {}

  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no Ed25519 (Java 15+ required)", e);
    }
  }

  public static PublicKey publicKey(byte[] subjectPublicKeyInfo) throws GeneralSecurityException {
    return KeyFactory.getInstance(ALGORITHM)
        .generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo));
  }

  public static PrivateKey privateKey(byte[] pkcs8) throws GeneralSecurityException {
    return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
  }

  public static byte[] sign(PrivateKey key, byte[] message) {
    try {
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initSign(key);
      signature.update(message);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** False for a wrong signature and for malformed input alike: both mean "not signed by key". */
  public static boolean verify(PublicKey key, byte[] message, byte[] signatureBytes) {
    try {
      Signature signature = Signature.getInstance(ALGORITHM);
      signature.initVerify(key);
      signature.update(message);
      return signature.verify(signatureBytes);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** Reads a PEM "PUBLIC KEY" file (base64 of SPKI DER) and returns the DER bytes. */
  public static byte[] readPublicKeyPem(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    int begin = text.indexOf("-----BEGIN PUBLIC KEY-----");
    int end = text.indexOf("-----END PUBLIC KEY-----");
    if (begin < 0 || end < begin) {
      throw new IOException(
          file
              + " is not a PEM public key (expected -----BEGIN PUBLIC KEY-----); use the file"
              + " from GET /api/v1/trust/root.pem");
    }
    String body = text.substring(begin + "-----BEGIN PUBLIC KEY-----".length(), end);
    try {
      byte[] der = Base64.getMimeDecoder().decode(body.trim());
      publicKey(der);
      return der;
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw new IOException(
          file + " does not hold a valid Ed25519 public key: " + e.getMessage(), e);
    }
  }

  public static String toPem(byte[] subjectPublicKeyInfo) {
    return "-----BEGIN PUBLIC KEY-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(subjectPublicKeyInfo)
        + "\n-----END PUBLIC KEY-----\n";
  }
}
