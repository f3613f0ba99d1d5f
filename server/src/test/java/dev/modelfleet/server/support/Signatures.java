package dev.modelfleet.server.support;

import static dev.modelfleet.server.support.Api.admin;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * Verifies envelopes the way an agent does, with the JDK's own Ed25519 rather than the server's
 * code: pinned root key, then the targets (manifests) or director (desired states) key the root
 * metadata lists.
 */
public final class Signatures {

  private Signatures() {}

  public static byte[] pinnedRootKey() {
    String pem = admin().get("/api/v1/trust/root.pem").then().statusCode(200).extract().asString();
    return Base64.getMimeDecoder()
        .decode(
            pem.replace("-----BEGIN PUBLIC KEY-----", "")
                .replace("-----END PUBLIC KEY-----", "")
                .trim());
  }

  public static RootMetadata verifiedRoot(SignedEnvelope envelope, byte[] rootKey)
      throws Exception {
    verify(envelope, rootKey, Dsse.ROOT_METADATA_TYPE);
    return RootMetadata.parseFrom(envelope.getPayload());
  }

  public static byte[] targetsKey(RootMetadata root) {
    return roleKey(root, Dsse.ROLE_TARGETS);
  }

  /** The key that signs desired states. */
  public static byte[] directorKey(RootMetadata root) {
    return roleKey(root, Dsse.ROLE_DIRECTOR);
  }

  private static byte[] roleKey(RootMetadata root, String role) {
    String keyId =
        root.getRolesList().stream()
            .filter(r -> r.getRole().equals(role))
            .findFirst()
            .orElseThrow()
            .getKeyIds(0);
    return root.getKeysList().stream()
        .filter(k -> k.getKeyId().equals(keyId))
        .findFirst()
        .orElseThrow()
        .getPublicKey()
        .toByteArray();
  }

  public static void verify(SignedEnvelope envelope, byte[] spki, String expectedType)
      throws Exception {
    if (!envelope.getPayloadType().equals(expectedType)) {
      throw new AssertionError(
          "payload type " + envelope.getPayloadType() + ", expected " + expectedType);
    }
    if (!envelope.getSignatures(0).getKeyId().equals(Dsse.keyId(spki))) {
      throw new AssertionError("signed by key " + envelope.getSignatures(0).getKeyId());
    }
    PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(key);
    verifier.update(
        Dsse.preAuthEncoding(envelope.getPayloadType(), envelope.getPayload().toByteArray()));
    if (!verifier.verify(envelope.getSignatures(0).getSignature().toByteArray())) {
      throw new AssertionError("signature does not verify");
    }
  }
}
