package dev.modelfleet.server.signing;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.SecureRandom;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.util.PrivateKeyFactory;
import org.bouncycastle.crypto.util.PrivateKeyInfoFactory;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

/** Ed25519 keys and their standard encodings (PKCS#8 and SubjectPublicKeyInfo, DER and PEM). */
public final class Ed25519Keys {

  private static final SecureRandom RANDOM = new SecureRandom();

  private Ed25519Keys() {}

  public static Ed25519PrivateKeyParameters generate() {
    return new Ed25519PrivateKeyParameters(RANDOM);
  }

  public static byte[] sign(Ed25519PrivateKeyParameters key, byte[] message) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, key);
    signer.update(message, 0, message.length);
    return signer.generateSignature();
  }

  /** Whether {@code signature} is {@code key}'s over {@code message}; false when malformed. */
  public static boolean verify(Ed25519PublicKeyParameters key, byte[] message, byte[] signature) {
    Ed25519Signer verifier = new Ed25519Signer();
    verifier.init(false, key);
    verifier.update(message, 0, message.length);
    return verifier.verifySignature(signature);
  }

  public static byte[] spki(Ed25519PublicKeyParameters key) {
    try {
      return SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(key).getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode an Ed25519 public key", e);
    }
  }

  /** Parses SubjectPublicKeyInfo DER; IllegalArgumentException when it is not an Ed25519 key. */
  public static Ed25519PublicKeyParameters parsePublicKey(byte[] spki) {
    AsymmetricKeyParameter key;
    try {
      key = PublicKeyFactory.createKey(spki);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("not a SubjectPublicKeyInfo DER encoding");
    }
    if (!(key instanceof Ed25519PublicKeyParameters ed25519)) {
      throw new IllegalArgumentException("not an Ed25519 key");
    }
    return ed25519;
  }

  public static String privateKeyPem(Ed25519PrivateKeyParameters key) {
    try {
      return pem("PRIVATE KEY", PrivateKeyInfoFactory.createPrivateKeyInfo(key).getEncoded());
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode an Ed25519 private key", e);
    }
  }

  public static String publicKeyPem(byte[] spki) {
    return pem("PUBLIC KEY", spki);
  }

  /**
   * The SubjectPublicKeyInfo DER of an Ed25519 public key in PEM; IllegalArgumentException when it
   * is not one.
   */
  public static byte[] parsePublicKeyPem(String pem) {
    try (PemReader reader = new PemReader(new StringReader(pem))) {
      PemObject object = reader.readPemObject();
      if (object == null || !"PUBLIC KEY".equals(object.getType())) {
        throw new IllegalArgumentException("expected a 'PUBLIC KEY' PEM block");
      }
      return spki(parsePublicKey(object.getContent()));
    } catch (IOException e) {
      throw new IllegalArgumentException("not PEM: " + e.getMessage());
    }
  }

  public static Ed25519PrivateKeyParameters parsePrivateKeyPem(String pem) throws IOException {
    try (PemReader reader = new PemReader(new StringReader(pem))) {
      PemObject object = reader.readPemObject();
      if (object == null || !"PRIVATE KEY".equals(object.getType())) {
        throw new IOException("expected a PKCS#8 'PRIVATE KEY' PEM block");
      }
      if (!(PrivateKeyFactory.createKey(object.getContent())
          instanceof Ed25519PrivateKeyParameters key)) {
        throw new IOException("expected an Ed25519 private key");
      }
      return key;
    }
  }

  private static String pem(String type, byte[] der) {
    StringWriter out = new StringWriter();
    try (PemWriter writer = new PemWriter(out)) {
      writer.writeObject(new PemObject(type, der));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }
}
