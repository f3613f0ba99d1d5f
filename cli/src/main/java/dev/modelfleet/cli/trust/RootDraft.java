package dev.modelfleet.cli.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.cli.output.Text;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A root metadata draft to be signed, decoded from its payload and checked as {@code
 * deploy/keys/SignRoot.java} checks it. The server that hands out a draft is not trusted: a
 * compromised one could ask for a root that lists its own keys. So only {@code payloadType}, {@code
 * payloadBase64} and {@code version} of its JSON are read, the payload is decoded here and shown,
 * and anything that cannot be shown unambiguously is refused rather than signed unseen: an unknown
 * field or role, a key id that is not the key's hash, a field given twice.
 *
 * @param payloadType the DSSE payload type (root metadata only)
 * @param payload the bytes a signature covers (inside the DSSE pre-authentication encoding)
 * @param root the decoded payload
 */
public record RootDraft(String payloadType, byte[] payload, RootMetadata root) {

  public static final String ROOT_METADATA_TYPE = "application/vnd.modelfleet.root.v1+protobuf";
  static final List<String> ROLES = List.of("root", "targets", "director");

  /** Far above any real root (a few keys), far below what could exhaust the tool. */
  static final int MAX_PAYLOAD_BYTES = 1 << 20;

  static final int MAX_ENTRIES = 1_000;

  /**
   * The draft in the JSON of {@code GET /api/v1/trust/root/draft}, refused when its payload type is
   * not root metadata (a signature over another type could be replayed as that document) or its
   * claimed version is not the payload's.
   */
  public static RootDraft fromJson(JsonNode draft) {
    String payloadType = text(draft, "payloadType");
    if (!ROOT_METADATA_TYPE.equals(payloadType)) {
      throw refused(
          "the draft's payload type is '"
              + Text.printable(payloadType)
              + "', not root metadata ("
              + ROOT_METADATA_TYPE
              + "); a root key signs root metadata only");
    }
    JsonNode version = draft.path("version");
    if (!version.canConvertToLong() || !version.isIntegralNumber()) {
      throw refused("the draft has no valid 'version'");
    }
    byte[] payload = base64(text(draft, "payloadBase64"));
    RootMetadata root = decode(payload);
    if (root.getVersion() != version.asLong()) {
      throw refused(
          "the draft claims version "
              + version.asLong()
              + " but its payload is root metadata version "
              + root.getVersion()
              + "; the server's draft is inconsistent");
    }
    return new RootDraft(payloadType, payload, root);
  }

  /**
   * The root metadata a previous-version document holds: a draft's JSON, or the JSON of {@code GET
   * /api/v1/trust/root} (its {@code signedEnvelopeBase64}).
   */
  public static RootMetadata previousFromJson(JsonNode document, String source) {
    if (document.has("payloadBase64")) {
      return fromJson(document).root();
    }
    String envelopeText = document.path("signedEnvelopeBase64").asText("");
    if (envelopeText.isEmpty()) {
      throw refused(source + " holds no root metadata (no signedEnvelopeBase64 or payloadBase64)");
    }
    SignedEnvelope envelope;
    try {
      envelope = SignedEnvelope.parseFrom(base64(envelopeText));
    } catch (InvalidProtocolBufferException e) {
      throw refused(source + " holds a malformed signed envelope");
    }
    if (!ROOT_METADATA_TYPE.equals(envelope.getPayloadType())) {
      throw refused(source + " holds no root metadata");
    }
    return decode(envelope.getPayload().toByteArray());
  }

  /** Decodes and checks a {@code RootMetadata} payload. */
  static RootMetadata decode(byte[] payload) {
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw refused(
          "the root metadata payload is "
              + payload.length
              + " bytes, more than any root metadata ("
              + MAX_PAYLOAD_BYTES
              + ")");
    }
    RootMetadata root;
    try {
      root = RootMetadata.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      throw refused("the root metadata payload is malformed: " + e.getMessage());
    }
    requireKnownFieldsOnly(root);
    // A field given twice (agents read the last one), or fields in another order: what is shown
    // would not be exactly what is signed. The server writes the one canonical encoding.
    if (!Arrays.equals(root.toByteArray(), payload)) {
      throw refused(
          "the root metadata payload is not in its canonical encoding (a field given twice, or"
              + " out of order), so it cannot be shown unambiguously");
    }
    if (root.getKeysCount() + root.getRolesCount() > MAX_ENTRIES) {
      throw refused("the root metadata lists more than " + MAX_ENTRIES + " keys and roles");
    }
    if (root.getVersion() < 1) {
      throw refused("the root metadata has no version (or one below 1)");
    }
    Set<String> keyIds = new HashSet<>();
    for (PublicKey key : root.getKeysList()) {
      if (key.getKeyId().isEmpty() || key.getPublicKey().isEmpty()) {
        throw refused("a listed key has no key id or no public key");
      }
      String hash = sha256Hex(key.getPublicKey().toByteArray());
      // agents ignore a key whose id is not its hash; an operator reading ids must not be misled
      if (!key.getKeyId().equals(hash)) {
        throw refused(
            "key "
                + Text.printable(key.getKeyId())
                + " is not the sha256 of its public key ("
                + hash
                + ")");
      }
      if (!keyIds.add(key.getKeyId())) {
        throw refused("key " + key.getKeyId() + " is listed twice");
      }
    }
    Set<String> roles = new HashSet<>();
    for (RoleKeys role : root.getRolesList()) {
      if (!ROLES.contains(role.getRole())) {
        throw refused(
            "role '"
                + Text.printable(role.getRole())
                + "' is unknown to this command line (it knows "
                + ROLES
                + "); use the modelfleet of the server's release");
      }
      if (!roles.add(role.getRole())) {
        throw refused("role " + role.getRole() + " is listed twice");
      }
      Set<String> inRole = new HashSet<>();
      for (String keyId : role.getKeyIdsList()) {
        if (!inRole.add(keyId)) {
          throw refused(
              "role " + role.getRole() + " names key " + Text.printable(keyId) + " twice");
        }
        if (!keyIds.contains(keyId)) {
          throw refused(
              "role "
                  + role.getRole()
                  + " names key "
                  + Text.printable(keyId)
                  + ", which the metadata does not list");
        }
      }
      if (role.getThreshold() < 1) {
        throw refused(
            "role "
                + role.getRole()
                + " has threshold "
                + role.getThreshold()
                + "; it must be 1 or more");
      }
      if (role.getThreshold() > role.getKeyIdsCount()) {
        throw refused(
            "role "
                + role.getRole()
                + " requires "
                + role.getThreshold()
                + " signatures but has "
                + role.getKeyIdsCount()
                + " key(s)");
      }
    }
    for (String required : List.of("root", "targets")) {
      if (!roles.contains(required)) {
        throw refused(
            "the root metadata has no "
                + required
                + " role; agents could verify nothing signed under it");
      }
    }
    return root;
  }

  private static void requireKnownFieldsOnly(RootMetadata root) {
    boolean unknown = !root.getUnknownFields().asMap().isEmpty();
    for (PublicKey key : root.getKeysList()) {
      unknown |= !key.getUnknownFields().asMap().isEmpty();
    }
    for (RoleKeys role : root.getRolesList()) {
      unknown |= !role.getUnknownFields().asMap().isEmpty();
    }
    if (unknown) {
      throw refused(
          "the root metadata has a field unknown to this command line, so it cannot show what it"
              + " would sign; use the modelfleet of the server's release");
    }
  }

  /** A draft or document that is not signed; nothing was. */
  static CliException refused(String message) {
    return new CliException(
        ExitCode.REFUSED,
        "refused, nothing was signed: " + message,
        "get the draft again (modelfleet trust draft get -o json) and compare it with what you"
            + " asked for");
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode value = node.path(field);
    if (!value.isTextual()) {
      throw refused(
          "the JSON has no valid '"
              + field
              + "'; pass the response of GET /api/v1/trust/root/draft (modelfleet trust draft get"
              + " -o json)");
    }
    return value.asText();
  }

  private static byte[] base64(String text) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw refused("the payload is not valid base64");
    }
  }
}
