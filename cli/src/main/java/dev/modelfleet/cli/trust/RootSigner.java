package dev.modelfleet.cli.trust;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * Ed25519 root keys as files (PKCS#8 PEM, owner-only), and the signature of a draft: over the DSSE
 * pre-authentication encoding of its payload type and payload, exactly what agents verify.
 */
public final class RootSigner {

  private RootSigner() {}

  /** A key read from a file, with its key id (sha256 of its public key). */
  public record Key(PrivateKey privateKey, byte[] publicKey, String keyId) {}

  /** Reads a PKCS#8 PEM Ed25519 key (made by trust keygen, SignRoot.java, or a server). */
  public static Key read(Path file) {
    try {
      String text = Files.readString(file, StandardCharsets.US_ASCII);
      String body =
          text.replace("-----BEGIN PRIVATE KEY-----", "")
              .replace("-----END PRIVATE KEY-----", "")
              .replaceAll("\\s", "");
      PrivateKey key =
          KeyFactory.getInstance("Ed25519")
              .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
      byte[] publicKey = publicKeyOf(key);
      return new Key(key, publicKey, RootDraft.sha256Hex(publicKey));
    } catch (IOException e) {
      throw CliException.usage("cannot read the key file " + file + ": " + e.getMessage(), null);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw CliException.usage(
          file + " is not a PKCS#8 PEM Ed25519 private key",
          "make one with modelfleet trust keygen FILE");
    }
  }

  /** Writes a new key to {@code file} (0600, never over an existing file); returns it. */
  public static Key generate(Path file) {
    try {
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      String pem = pem("PRIVATE KEY", pair.getPrivate().getEncoded());
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(
            file,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } else {
        Files.createFile(file);
      }
      Files.writeString(file, pem, StandardCharsets.US_ASCII);
      byte[] publicKey = publicKeyOf(pair.getPrivate());
      return new Key(pair.getPrivate(), publicKey, RootDraft.sha256Hex(publicKey));
    } catch (FileAlreadyExistsException e) {
      throw CliException.usage(
          file + " exists; a key is never overwritten", "choose a new file name");
    } catch (IOException e) {
      throw CliException.usage("cannot write " + file + ": " + e.getMessage(), null);
    } catch (GeneralSecurityException e) {
      throw new CliException(ExitCode.INTERNAL, "this JDK cannot make Ed25519 keys", null, e);
    }
  }

  /**
   * The SubjectPublicKeyInfo of a private key. The JDK has no public-from-private call for Ed25519,
   * but its generator derives a pair from 32 random bytes (RFC 8032's seed): handing it the key's
   * own seed derives the same pair.
   */
  static byte[] publicKeyOf(PrivateKey key) throws GeneralSecurityException {
    byte[] seed = seed(key.getEncoded());
    KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
    generator.initialize(
        255,
        new SecureRandom() {
          @Override
          public void nextBytes(byte[] bytes) {
            System.arraycopy(seed, 0, bytes, 0, bytes.length);
          }
        });
    return KeyFactory.getInstance("Ed25519")
        .getKeySpec(generator.generateKeyPair().getPublic(), X509EncodedKeySpec.class)
        .getEncoded();
  }

  /** The 32-byte seed inside a PKCS#8 Ed25519 key: an OCTET STRING (04 20) in an OCTET STRING. */
  private static byte[] seed(byte[] pkcs8) {
    for (int i = 0; i + 36 <= pkcs8.length; i++) {
      if (pkcs8[i] == 0x04
          && pkcs8[i + 1] == 0x22
          && pkcs8[i + 2] == 0x04
          && pkcs8[i + 3] == 0x20) {
        byte[] seed = new byte[32];
        System.arraycopy(pkcs8, i + 4, seed, 0, 32);
        return seed;
      }
    }
    throw new IllegalArgumentException("not a PKCS#8 Ed25519 private key");
  }

  /**
   * A key that is a root key of neither version would sign in vain; with the previous version at
   * hand that is certain, so it is refused rather than left for the server to refuse.
   */
  public static void requireRootKey(RootDraft draft, RootMetadata previous, String keyId) {
    if (previous == null) {
      return;
    }
    long version = draft.root().getVersion();
    if (version != previous.getVersion() + 1) {
      throw RootDraft.refused(
          "the draft is version "
              + version
              + " but the previous root is version "
              + previous.getVersion()
              + "; a root version follows the one before it by exactly one");
    }
    List<String> now = RootDescription.keyIds(draft.root(), "root");
    List<String> before = RootDescription.keyIds(previous, "root");
    if (!now.contains(keyId) && !before.contains(keyId)) {
      throw RootDraft.refused(
          "key "
              + keyId
              + " is a root key of neither version "
              + previous.getVersion()
              + " nor version "
              + version);
    }
  }

  /**
   * The signature JSON for the draft: {@code {"version": N, "keyId": "...", "signature": "..."}}, N
   * the decoded version, so that the server refuses it for any other draft.
   */
  public static ObjectNode sign(Key key, RootDraft draft) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(key.privateKey());
      signer.update(preAuthEncoding(draft.payloadType(), draft.payload()));
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      out.put("version", draft.root().getVersion());
      out.put("keyId", key.keyId());
      out.put("signature", Base64.getEncoder().encodeToString(signer.sign()));
      return out;
    } catch (GeneralSecurityException e) {
      throw new CliException(ExitCode.INTERNAL, "signing failed: " + e.getMessage(), null, e);
    }
  }

  /** DSSE v1: "DSSEv1" SP len(type) SP type SP len(payload) SP payload, lengths in decimal. */
  static byte[] preAuthEncoding(String payloadType, byte[] payload) {
    byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
    byte[] head = ("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.US_ASCII);
    byte[] middle = (" " + payload.length + " ").getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[head.length + type.length + middle.length + payload.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(type, 0, out, head.length, type.length);
    System.arraycopy(middle, 0, out, head.length + type.length, middle.length);
    System.arraycopy(payload, 0, out, head.length + type.length + middle.length, payload.length);
    return out;
  }

  public static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
