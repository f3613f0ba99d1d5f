package dev.modelfleet.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The signing conventions of the agent protocol, shared by both sides so that they cannot drift
 * apart: payload types, the DSSE pre-authentication encoding that signatures cover, and how a key
 * id is derived from a public key.
 */
public final class Dsse {

  public static final String ROOT_METADATA_TYPE = "application/vnd.modelfleet.root.v1+protobuf";
  public static final String VARIANT_MANIFEST_TYPE =
      "application/vnd.modelfleet.variant-manifest.v1+protobuf";
  public static final String DESIRED_STATE_TYPE =
      "application/vnd.modelfleet.desired-state.v1+protobuf";

  /** The signed index of an offline bundle (bundle.proto), signed by the director role. */
  public static final String BUNDLE_INDEX_TYPE =
      "application/vnd.modelfleet.bundle-index.v1+protobuf";

  /**
   * A desired state for every device of one hardware class, carried only in offline bundles
   * (bundle.proto, ClassDesiredState), signed by the director role. Its own type, so that it can
   * never verify as a device's desired state on the Sync path, nor a device's document as it.
   */
  public static final String CLASS_DESIRED_STATE_TYPE =
      "application/vnd.modelfleet.class-desired-state.v1+protobuf";

  public static final String ROLE_ROOT = "root";
  public static final String ROLE_TARGETS = "targets";
  public static final String ROLE_DIRECTOR = "director";

  private Dsse() {}

  /**
   * The bytes a signature covers. Binding the payload type into the signed bytes stops a signature
   * on one kind of document from being replayed as another kind.
   */
  public static byte[] preAuthEncoding(String payloadType, byte[] payload) {
    byte[] type = payloadType.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(type.length + payload.length + 32);
    out.writeBytes(("DSSEv1 " + type.length + " ").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(type);
    out.writeBytes((" " + payload.length + " ").getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(payload);
    return out.toByteArray();
  }

  /** Lowercase hex sha256 of a key's SubjectPublicKeyInfo DER encoding. */
  public static String keyId(byte[] subjectPublicKeyInfo) {
    return sha256Hex(subjectPublicKeyInfo);
  }

  public static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** True for 64 lowercase hex characters, the only form artifact digests take on the wire. */
  public static boolean isSha256Hex(String value) {
    return value != null && value.matches("[0-9a-f]{64}");
  }
}
