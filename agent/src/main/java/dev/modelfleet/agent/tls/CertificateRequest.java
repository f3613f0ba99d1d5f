package dev.modelfleet.agent.tls;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

/**
 * A PKCS#10 certificate request (RFC 2986) for a P-256 key made on this device, signed by that key.
 * Written with the JDK alone: the structure is small and fixed (a common name, the public key, no
 * attributes), and the agent stays free of a crypto library.
 */
public final class CertificateRequest {

  /** ecdsa-with-SHA256, 1.2.840.10045.4.3.2 */
  private static final byte[] ECDSA_WITH_SHA256 = {
    0x06, 0x08, 0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x04, 0x03, 0x02
  };

  /** id-at-commonName, 2.5.4.3 */
  private static final byte[] COMMON_NAME = {0x06, 0x03, 0x55, 0x04, 0x03};

  private CertificateRequest() {}

  public static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot make P-256 keys", e);
    }
  }

  /** The DER request; {@code commonName} may be empty (the server chooses the subject anyway). */
  public static byte[] create(KeyPair key, String commonName) {
    byte[] subject =
        commonName.isEmpty()
            ? der(0x30)
            : der(
                0x30,
                der(
                    0x31,
                    der(
                        0x30,
                        COMMON_NAME,
                        der(0x0C, commonName.getBytes(StandardCharsets.UTF_8)))));
    byte[] info =
        der(
            0x30,
            new byte[] {0x02, 0x01, 0x00}, // version 0
            subject,
            key.getPublic().getEncoded(), // SubjectPublicKeyInfo
            der(0xA0)); // attributes: none
    try {
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(key.getPrivate());
      signer.update(info);
      byte[] signature = signer.sign(); // DER ECDSA-Sig-Value
      byte[] bits = new byte[signature.length + 1]; // BIT STRING: no unused bits
      System.arraycopy(signature, 0, bits, 1, signature.length);
      return der(0x30, info, der(0x30, ECDSA_WITH_SHA256), der(0x03, bits));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign the certificate request", e);
    }
  }

  private static byte[] der(int tag, byte[]... parts) {
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      content.writeBytes(part);
    }
    int length = content.size();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    if (length < 0x80) {
      out.write(length);
    } else if (length < 0x100) {
      out.write(0x81);
      out.write(length);
    } else {
      out.write(0x82);
      out.write(length >> 8);
      out.write(length & 0xFF);
    }
    out.writeBytes(content.toByteArray());
    return out.toByteArray();
  }
}
