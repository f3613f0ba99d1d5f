import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Offline root keys for a ModelFleet fleet, with nothing but a JDK (17+): one file, no build, no
 * dependency, so that it runs on an air-gapped machine and can be read in full before it is
 * trusted with a root key.
 *
 * <pre>
 *   java SignRoot.java keygen root-offline.key      # new key (PKCS#8 PEM, 0600); public PEM on stdout
 *   java SignRoot.java pubkey root-offline.key      # the public PEM and key id of a key file
 *   java SignRoot.java sign root-offline.key draft.json > signature.json
 * </pre>
 *
 * {@code draft.json} is the response of {@code GET /api/v1/trust/root/draft}; the signature
 * (JSON for {@code POST /api/v1/trust/root/draft/signatures}) covers the DSSE pre-authentication
 * encoding of the draft's payload type and payload, exactly what agents verify. The tool prints
 * the payload's sha256 on stderr: compare it with the draft the server shows before uploading.
 */
public final class SignRoot {

  private SignRoot() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      usage();
      return;
    }
    switch (args[0]) {
      case "keygen" -> System.out.print(keygen(Path.of(args[1])));
      case "pubkey" -> {
        byte[] spki = publicKeyOf(readPrivateKey(Path.of(args[1])));
        System.err.println("key id " + keyId(spki));
        System.out.print(pem("PUBLIC KEY", spki));
      }
      case "sign" -> {
        if (args.length < 3) {
          usage();
          return;
        }
        String draft = Files.readString(Path.of(args[2]), StandardCharsets.UTF_8);
        System.out.println(signDraft(readPrivateKey(Path.of(args[1])), draft));
      }
      default -> usage();
    }
  }

  private static void usage() {
    System.err.println("usage: java SignRoot.java keygen KEY_FILE | pubkey KEY_FILE"
        + " | sign KEY_FILE DRAFT_JSON");
    System.exit(2);
  }

  /** Writes a new Ed25519 private key (owner-only) and returns its public key as PEM. */
  public static String keygen(Path keyFile) throws IOException, GeneralSecurityException {
    KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    Files.writeString(Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(
            PosixFilePermissions.fromString("rw-------"))),
        pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    return pem("PUBLIC KEY", pair.getPublic().getEncoded());
  }

  /**
   * The signature JSON for a draft: {@code {"version": N, "keyId": "...", "signature": "..."}}.
   * The version is included so that the server refuses it for any other draft.
   */
  public static String signDraft(PrivateKey key, String draftJson) throws GeneralSecurityException {
    long version = Long.parseLong(field(draftJson, "version", "(\\d+)"));
    String payloadType = field(draftJson, "payloadType", "\"([^\"]+)\"");
    byte[] payload = Base64.getDecoder().decode(field(draftJson, "payloadBase64", "\"([A-Za-z0-9+/=]*)\""));
    System.err.println("signing root metadata version " + version + ", payload sha256 "
        + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(payload)));
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(key);
    signer.update(preAuthEncoding(payloadType, payload));
    return "{\"version\": " + version + ", \"keyId\": \"" + keyId(publicKeyOf(key))
        + "\", \"signature\": \"" + Base64.getEncoder().encodeToString(signer.sign()) + "\"}";
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

  /** Reads a PKCS#8 PEM Ed25519 key (this tool's, or a server's {@code root.key}). */
  public static PrivateKey readPrivateKey(Path file) throws IOException, GeneralSecurityException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    String body = text.replace("-----BEGIN PRIVATE KEY-----", "")
        .replace("-----END PRIVATE KEY-----", "").replaceAll("\\s", "");
    return KeyFactory.getInstance("Ed25519").generatePrivate(
        new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
  }

  /**
   * The SubjectPublicKeyInfo of a private key. The JDK has no public-from-private call for
   * Ed25519, but its key pair generator derives the pair from 32 random bytes (RFC 8032's
   * seed): handing it the key's own seed derives the same pair.
   */
  static byte[] publicKeyOf(PrivateKey key) throws GeneralSecurityException {
    byte[] seed = seed(key.getEncoded());
    KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
    generator.initialize(255, new java.security.SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        System.arraycopy(seed, 0, bytes, 0, bytes.length);
      }
    });
    PublicKey publicKey = generator.generateKeyPair().getPublic();
    return KeyFactory.getInstance("Ed25519")
        .getKeySpec(publicKey, X509EncodedKeySpec.class).getEncoded();
  }

  /** The 32-byte seed inside a PKCS#8 Ed25519 key: an OCTET STRING (04 20) in an OCTET STRING. */
  private static byte[] seed(byte[] pkcs8) {
    for (int i = 0; i + 34 <= pkcs8.length; i++) {
      if (pkcs8[i] == 0x04 && pkcs8[i + 1] == 0x22 && pkcs8[i + 2] == 0x04 && pkcs8[i + 3] == 0x20) {
        byte[] seed = new byte[32];
        System.arraycopy(pkcs8, i + 4, seed, 0, 32);
        return seed;
      }
    }
    throw new IllegalArgumentException("not a PKCS#8 Ed25519 private key");
  }

  static String keyId(byte[] spki) throws GeneralSecurityException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki));
  }

  private static String field(String json, String name, String valuePattern) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*" + valuePattern).matcher(json);
    if (!m.find()) {
      throw new IllegalArgumentException("the draft JSON has no '" + name + "'; pass the response"
          + " of GET /api/v1/trust/root/draft");
    }
    return m.group(1);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
