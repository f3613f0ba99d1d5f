import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
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
 *   java SignRoot.java show draft.json [--previous previous.json]
 *   java SignRoot.java sign root-offline.key draft.json [--previous previous.json]
 *       [--expect-version N] > signature.json
 * </pre>
 *
 * {@code draft.json} is the response of {@code GET /api/v1/trust/root/draft}; the signature
 * (JSON for {@code POST /api/v1/trust/root/draft/signatures}) covers the DSSE pre-authentication
 * encoding of the draft's payload type and payload, exactly what agents verify.
 *
 * <p>The server that hands out the draft is not trusted: a compromised one could ask for a root
 * that lists its own keys. So the tool decodes the payload itself (protobuf {@code RootMetadata},
 * read by hand, bounded) and shows on stderr what the signature would vouch for: version, expiry,
 * every role with its threshold and key ids, and with {@code --previous} what changed. It signs
 * only a root metadata payload whose version is the one the draft claims, and only after the
 * operator confirmed that version (typed at the prompt, or given as {@code --expect-version}).
 * Anything it cannot show unambiguously (an unknown field or role, a key id that is not the
 * key's hash, a field given twice) is refused rather than signed unseen.
 */
public final class SignRoot {

  static final String ROOT_METADATA_TYPE = "application/vnd.modelfleet.root.v1+protobuf";
  static final List<String> ROLES = List.of("root", "targets", "director");
  /** Far above any real root (a few keys), far below what could exhaust the tool. */
  static final int MAX_PAYLOAD_BYTES = 1 << 20;
  static final int MAX_ENTRIES = 1_000;

  private SignRoot() {}

  /** A draft or document the tool will not sign (or read); the message says why. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message);
    }
  }

  public static void main(String[] args) throws Exception {
    List<String> positional = new ArrayList<>();
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--")) {
        if (i + 1 >= args.length || !Set.of("--previous", "--expect-version").contains(args[i])) {
          usage();
        }
        options.put(args[i], args[++i]);
      } else {
        positional.add(args[i]);
      }
    }
    if (positional.size() < 2) {
      usage();
    }
    try {
      switch (positional.get(0)) {
        case "keygen" -> System.out.print(keygen(Path.of(positional.get(1))));
        case "pubkey" -> {
          byte[] spki = publicKeyOf(readPrivateKey(Path.of(positional.get(1))));
          System.err.println("key id " + keyId(spki));
          System.out.print(pem("PUBLIC KEY", spki));
        }
        case "show" -> {
          Draft draft = Draft.read(Path.of(positional.get(1)));
          Root previous = previous(options);
          System.err.print(describe(draft, previous, null));
        }
        case "sign" -> {
          if (positional.size() < 3) {
            usage();
          }
          PrivateKey key = readPrivateKey(Path.of(positional.get(1)));
          Draft draft = Draft.read(Path.of(positional.get(2)));
          Root previous = previous(options);
          String signerId = keyId(publicKeyOf(key));
          System.err.print(describe(draft, previous, signerId));
          requireSignerIsRootKey(draft.root(), previous, signerId);
          confirm(draft.root().version(), options.get("--expect-version"));
          System.out.println(signature(key, signerId, draft));
        }
        default -> usage();
      }
    } catch (Refused e) {
      System.err.println("SignRoot: refused, nothing was signed: " + e.getMessage());
      System.exit(1);
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      System.err.println("SignRoot: " + e + "; nothing was signed");
      System.exit(1);
    }
  }

  private static void usage() {
    System.err.println("usage: java SignRoot.java keygen KEY_FILE | pubkey KEY_FILE"
        + " | show DRAFT_JSON [--previous FILE]"
        + " | sign KEY_FILE DRAFT_JSON [--previous FILE] [--expect-version N]");
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

  // ---------------------------------------------------------------------------------------
  // What is signed: the draft, and the root metadata decoded from its payload

  /** A draft as the server sent it, its payload decoded and checked against its claims. */
  record Draft(String payloadType, byte[] payload, Root root) {

    static Draft read(Path file) throws IOException {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /**
     * Refuses any payload type but root metadata (a signature over another type could be
     * replayed as that document), and a version claim the payload does not back.
     */
    static Draft parse(String json) {
      String payloadType = field(json, "payloadType", "\"([^\"\\\\]*)\"");
      if (!ROOT_METADATA_TYPE.equals(payloadType)) {
        throw new Refused("the draft's payload type is '" + printable(payloadType) + "', not root"
            + " metadata (" + ROOT_METADATA_TYPE + "); a root key signs root metadata only");
      }
      long claimed = Long.parseLong(field(json, "version", "(\\d{1,18})"));
      byte[] payload = base64(field(json, "payloadBase64", "\"([A-Za-z0-9+/=]*)\""));
      Root root = Root.decode(payload);
      if (root.version() != claimed) {
        throw new Refused("the draft claims version " + claimed + " but its payload is root"
            + " metadata version " + root.version() + "; the server's draft is inconsistent");
      }
      return new Draft(payloadType, payload, root);
    }
  }

  record RootKey(String keyId, String algorithm) {}

  record Role(String name, List<String> keyIds, int threshold) {}

  /** The content of a {@code RootMetadata} payload, in the order the payload lists it. */
  record Root(long version, long expiresAtMs, Map<String, RootKey> keys, Map<String, Role> roles) {

    /**
     * Decodes {@code RootMetadata} (proto/.../agent.proto): 1 version, 2 expires_at_ms (varint),
     * 3 keys (PublicKey: 1 key_id, 2 algorithm, 3 public_key), 4 roles (RoleKeys: 1 role,
     * 2 key_ids, 3 threshold). Two levels, no recursion; every length is checked against what
     * is left.
     */
    static Root decode(byte[] payload) {
      if (payload.length > MAX_PAYLOAD_BYTES) {
        throw new Refused("the root metadata payload is " + payload.length + " bytes, more than"
            + " any root metadata (" + MAX_PAYLOAD_BYTES + ")");
      }
      Wire in = new Wire(payload, 0, payload.length, "RootMetadata");
      Long version = null;
      Long expires = null;
      Map<String, RootKey> keys = new LinkedHashMap<>();
      Map<String, Role> roles = new LinkedHashMap<>();
      while (in.more()) {
        int tag = in.tag();
        switch (tag) {
          case 1 << 3 -> version = once(version, in.varint(), "RootMetadata.version");
          case 2 << 3 -> expires = once(expires, in.varint(), "RootMetadata.expires_at_ms");
          case (3 << 3) | 2 -> {
            RootKey key = decodeKey(in.message("PublicKey"));
            if (keys.put(key.keyId(), key) != null) {
              throw new Refused("key " + key.keyId() + " is listed twice");
            }
          }
          case (4 << 3) | 2 -> {
            Role role = decodeRole(in.message("RoleKeys"));
            if (roles.put(role.name(), role) != null) {
              throw new Refused("role " + role.name() + " is listed twice");
            }
          }
          default -> throw unknown(tag, "RootMetadata");
        }
        if (keys.size() + roles.size() > MAX_ENTRIES) {
          throw new Refused("the root metadata lists more than " + MAX_ENTRIES + " keys and roles");
        }
      }
      if (version == null || version < 1) {
        throw new Refused("the root metadata has no version (or one below 1)");
      }
      for (Role role : roles.values()) {
        for (String keyId : role.keyIds()) {
          if (!keys.containsKey(keyId)) {
            throw new Refused("role " + role.name() + " names key " + keyId + ", which the"
                + " metadata does not list");
          }
        }
        if (role.threshold() > role.keyIds().size()) {
          throw new Refused("role " + role.name() + " requires " + role.threshold()
              + " signatures but has " + role.keyIds().size() + " key(s)");
        }
      }
      for (String required : List.of("root", "targets")) {
        if (!roles.containsKey(required)) {
          throw new Refused("the root metadata has no " + required + " role; agents could"
              + " verify nothing signed under it");
        }
      }
      return new Root(version, expires == null ? 0 : expires, keys, roles);
    }

    private static RootKey decodeKey(Wire in) {
      String keyId = null;
      String algorithm = null;
      byte[] spki = null;
      while (in.more()) {
        int tag = in.tag();
        switch (tag) {
          case (1 << 3) | 2 -> keyId = once(keyId, in.string(), "PublicKey.key_id");
          case (2 << 3) | 2 -> algorithm = once(algorithm, in.string(), "PublicKey.algorithm");
          case (3 << 3) | 2 -> spki = once(spki, in.bytes(), "PublicKey.public_key");
          default -> throw unknown(tag, "PublicKey");
        }
      }
      if (keyId == null || spki == null) {
        throw new Refused("a listed key has no key id or no public key");
      }
      // Agents ignore a key whose id is not its hash; an operator reading ids must not be misled.
      if (!keyId.equals(sha256Hex(spki))) {
        throw new Refused("key " + printable(keyId) + " is not the sha256 of its public key ("
            + sha256Hex(spki) + ")");
      }
      return new RootKey(keyId, algorithm == null ? "" : algorithm);
    }

    private static Role decodeRole(Wire in) {
      String name = null;
      List<String> keyIds = new ArrayList<>();
      Long threshold = null;
      while (in.more()) {
        int tag = in.tag();
        switch (tag) {
          case (1 << 3) | 2 -> name = once(name, in.string(), "RoleKeys.role");
          case (2 << 3) | 2 -> {
            String keyId = in.string();
            if (keyIds.contains(keyId) || keyIds.size() >= MAX_ENTRIES) {
              throw new Refused("a role names key " + printable(keyId) + " twice, or too many keys");
            }
            keyIds.add(keyId);
          }
          case 3 << 3 -> threshold = once(threshold, in.varint(), "RoleKeys.threshold");
          default -> throw unknown(tag, "RoleKeys");
        }
      }
      if (name == null || !ROLES.contains(name)) {
        throw new Refused("role '" + printable(String.valueOf(name)) + "' is unknown to this tool"
            + " (it knows " + ROLES + "); use the SignRoot.java of the server's release");
      }
      if (threshold == null || threshold < 1 || threshold > Integer.MAX_VALUE) {
        throw new Refused("role " + name + " has threshold " + threshold + "; it must be 1 or more");
      }
      return new Role(name, List.copyOf(keyIds), threshold.intValue());
    }
  }

  private static <T> T once(T before, T value, String field) {
    if (before != null) {
      throw new Refused(field + " appears twice; agents would read the last one, so it is not"
          + " shown unambiguously");
    }
    return value;
  }

  private static Refused unknown(int tag, String message) {
    return new Refused("field " + (tag >>> 3) + " (wire type " + (tag & 7) + ") of " + message
        + " is unknown to this tool, so it cannot show what it would sign; use the"
        + " SignRoot.java of the server's release");
  }

  /** A bounded reader of the protobuf wire format over {@code bytes[from, to)}. */
  static final class Wire {
    private final byte[] bytes;
    private final int end;
    private final String message;
    private int pos;

    Wire(byte[] bytes, int from, int to, String message) {
      this.bytes = bytes;
      this.pos = from;
      this.end = to;
      this.message = message;
    }

    boolean more() {
      return pos < end;
    }

    int tag() {
      long tag = varint();
      if (tag >>> 32 != 0 || tag >>> 3 == 0) {
        throw new Refused(message + " is malformed (a field number out of range)");
      }
      return (int) tag;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new Refused(message + " is truncated (inside a number)");
        }
        byte b = bytes[pos++];
        value |= (long) (b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      throw new Refused(message + " is malformed (a number longer than 10 bytes)");
    }

    private int length() {
      long length = varint();
      if (length < 0 || length > end - pos) {
        throw new Refused(message + " is malformed (a length runs past its end)");
      }
      return (int) length;
    }

    Wire message(String name) {
      int length = length();
      Wire inner = new Wire(bytes, pos, pos + length, name);
      pos += length;
      return inner;
    }

    byte[] bytes() {
      int length = length();
      byte[] out = Arrays.copyOfRange(bytes, pos, pos + length);
      pos += length;
      return out;
    }

    /** Strict UTF-8, as protobuf checks proto3 strings. */
    String string() {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes()))
            .toString();
      } catch (CharacterCodingException e) {
        throw new Refused(message + " holds a string that is not UTF-8");
      }
    }
  }

  // ---------------------------------------------------------------------------------------
  // What the operator sees

  /**
   * The decoded draft as the operator must read it before signing: version, expiry, every role
   * with threshold and full key ids, the signing key marked; with the previous version, what
   * changed.
   */
  static String describe(Draft draft, Root previous, String signerId) {
    Root root = draft.root();
    StringBuilder out = new StringBuilder();
    out.append("\n=== Root metadata version ").append(root.version()).append(" ===\n");
    out.append("payload sha256 ").append(sha256Hex(draft.payload()))
        .append(" (must equal payloadSha256 of the draft you reviewed)\n");
    if (root.expiresAtMs() == 0) {
      out.append("expires   NEVER (no expiry: agents would trust it forever)\n");
    } else {
      Instant expires = Instant.ofEpochMilli(root.expiresAtMs());
      long days = Duration.between(Instant.now(), expires).toDays();
      out.append("expires   ").append(expires).append(days < 0
          ? " (ALREADY EXPIRED by this machine's clock: agents would refuse it)"
          : " (in " + days + " days by this machine's clock)").append('\n');
    }
    for (Role role : root.roles().values()) {
      out.append(String.format("role %-9s threshold %d of %d key(s)%n", role.name(),
          role.threshold(), role.keyIds().size()));
      for (String keyId : role.keyIds()) {
        out.append("    ").append(keyId).append("  ")
            .append(printable(root.keys().get(keyId).algorithm()))
            .append(keyId.equals(signerId) ? "  <- the key you are signing with" : "")
            .append(previous == null ? "" : previousMark(previous, role.name(), keyId))
            .append('\n');
      }
    }
    Set<String> inNoRole = new TreeSet<>(root.keys().keySet());
    root.roles().values().forEach(r -> r.keyIds().forEach(inNoRole::remove));
    inNoRole.forEach(id -> out.append("listed in no role (agents ignore it): ").append(id)
        .append('\n'));
    if (previous != null) {
      out.append(changes(previous, root));
    } else {
      out.append("(pass --previous with the previous version to see what changed)\n");
    }
    if (signerId != null && !root.roles().get("root").keyIds().contains(signerId)) {
      out.append("note: the key you are signing with is no root key of version ")
          .append(root.version()).append("; this signature counts only as one by the root keys"
              + " of version ").append(root.version() - 1).append('\n');
    }
    out.append("Check every root key id above against the ids of the root keys you hold"
        + " (java SignRoot.java pubkey KEY_FILE): a root key you do not know hands the fleet"
        + " to whoever holds it.\n\n");
    return out.toString();
  }

  private static String previousMark(Root previous, String role, String keyId) {
    Role before = previous.roles().get(role);
    return before != null && before.keyIds().contains(keyId) ? "" : "  NEW";
  }

  private static String changes(Root previous, Root root) {
    StringBuilder out = new StringBuilder("changes from version " + previous.version() + ":\n");
    if (root.version() != previous.version() + 1) {
      out.append("  NOT THE NEXT VERSION: version ").append(previous.version()).append(" is"
          + " followed by ").append(previous.version() + 1).append(", not ").append(root.version())
          .append('\n');
    }
    int count = 0;
    Set<String> names = new LinkedHashSet<>(previous.roles().keySet());
    names.addAll(root.roles().keySet());
    for (String name : names) {
      Role before = previous.roles().get(name);
      Role after = root.roles().get(name);
      List<String> was = before == null ? List.of() : before.keyIds();
      List<String> now = after == null ? List.of() : after.keyIds();
      for (String id : now) {
        if (!was.contains(id)) {
          out.append("  ").append(name).append(": key ADDED    ").append(id).append('\n');
          count++;
        }
      }
      for (String id : was) {
        if (!now.contains(id)) {
          out.append("  ").append(name).append(": key REMOVED  ").append(id).append('\n');
          count++;
        }
      }
      int thresholdBefore = before == null ? 0 : before.threshold();
      int thresholdAfter = after == null ? 0 : after.threshold();
      if (thresholdBefore != thresholdAfter) {
        out.append("  ").append(name).append(": threshold ").append(thresholdBefore)
            .append(" -> ").append(thresholdAfter).append('\n');
        count++;
      }
    }
    if (previous.expiresAtMs() != root.expiresAtMs()) {
      out.append("  expiry ").append(Instant.ofEpochMilli(previous.expiresAtMs())).append(" -> ")
          .append(Instant.ofEpochMilli(root.expiresAtMs())).append('\n');
      count++;
    }
    if (count == 0) {
      out.append("  none\n");
    }
    return out.toString();
  }

  /** Control characters (a terminal escape in a string the server chose) shown as escapes. */
  static String printable(String text) {
    StringBuilder out = new StringBuilder();
    text.codePoints().forEach(c -> {
      if (c >= 0x20 && c < 0x7f) {
        out.appendCodePoint(c);
      } else {
        out.append(String.format("\\u%04x", c));
      }
    });
    return out.toString();
  }

  // ---------------------------------------------------------------------------------------
  // The previous version, the confirmation, the signature

  /**
   * The previous root version to compare with: a draft JSON kept from the last signing, or the
   * {@code GET /api/v1/trust/root} JSON (its first {@code signedEnvelopeBase64}). A copy kept on
   * the offline machine is worth more than one fetched from the server now.
   */
  private static Root previous(Map<String, String> options) throws IOException {
    String file = options.get("--previous");
    if (file == null) {
      return null;
    }
    String json = Files.readString(Path.of(file), StandardCharsets.UTF_8);
    if (json.contains("\"payloadBase64\"")) {
      return Draft.parse(json).root();
    }
    byte[] envelope = base64(field(json, "signedEnvelopeBase64", "\"([A-Za-z0-9+/=]*)\""));
    Wire in = new Wire(envelope, 0, envelope.length, "SignedEnvelope");
    byte[] payload = null;
    String payloadType = null;
    while (in.more()) {
      int tag = in.tag();
      switch (tag) {
        case (1 << 3) | 2 -> payload = once(payload, in.bytes(), "SignedEnvelope.payload");
        case (2 << 3) | 2 -> payloadType = once(payloadType, in.string(),
            "SignedEnvelope.payload_type");
        case (3 << 3) | 2 -> in.message("Signature"); // who signed it is not compared
        default -> throw unknown(tag, "SignedEnvelope");
      }
    }
    if (!ROOT_METADATA_TYPE.equals(payloadType) || payload == null) {
      throw new Refused(file + " holds no root metadata");
    }
    return Root.decode(payload);
  }

  /**
   * A key that is a root key of neither version would sign in vain; with the previous version
   * at hand that is certain, so it is refused rather than left for the server to refuse.
   */
  private static void requireSignerIsRootKey(Root root, Root previous, String signerId) {
    if (previous == null) {
      return;
    }
    if (root.version() != previous.version() + 1) {
      throw new Refused("the draft is version " + root.version() + " but --previous is version "
          + previous.version() + "; a root version follows the one before it by exactly one");
    }
    if (!root.roles().get("root").keyIds().contains(signerId)
        && !previous.roles().get("root").keyIds().contains(signerId)) {
      throw new Refused("key " + signerId + " is a root key of neither version "
          + previous.version() + " nor version " + root.version());
    }
  }

  /** {@code --expect-version N}, or the version typed at the prompt, must be the decoded one. */
  private static void confirm(long version, String expected) throws IOException {
    if (expected != null) {
      if (!expected.equals(Long.toString(version))) {
        throw new Refused("--expect-version " + printable(expected) + " but the draft's payload is"
            + " version " + version);
      }
      return;
    }
    System.err.print("Sign root metadata version " + version + " as shown above? Type the"
        + " version number to sign, anything else to stop: ");
    System.err.flush();
    String typed = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
        .readLine();
    if (typed == null || !typed.trim().equals(Long.toString(version))) {
      throw new Refused("not confirmed");
    }
  }

  /**
   * The signature JSON for a draft: {@code {"version": N, "keyId": "...", "signature": "..."}},
   * N the decoded version, so that the server refuses it for any other draft.
   */
  static String signature(PrivateKey key, String keyId, Draft draft)
      throws GeneralSecurityException {
    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(key);
    signer.update(preAuthEncoding(draft.payloadType(), draft.payload()));
    return "{\"version\": " + draft.root().version() + ", \"keyId\": \"" + keyId
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

  // ---------------------------------------------------------------------------------------
  // Keys and encodings

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

  static String keyId(byte[] spki) {
    return sha256Hex(spki);
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static byte[] base64(String text) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new Refused("the payload is not valid base64");
    }
  }

  private static String field(String json, String name, String valuePattern) {
    Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*" + valuePattern).matcher(json);
    if (!m.find()) {
      throw new Refused("the JSON has no valid '" + name + "'; pass the response of"
          + " GET /api/v1/trust/root/draft");
    }
    return m.group(1);
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
