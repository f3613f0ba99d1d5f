package dev.modelfleet.server.signing;

import com.google.protobuf.ByteString;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.Signature;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/** DSSE envelopes: signed over the pre-authentication encoding, and checked the same way. */
final class Envelopes {

  private Envelopes() {}

  /** Signs with each key; the key ids come with the keys, so no public key is derived here. */
  static SignedEnvelope sign(
      String payloadType, byte[] payload, Map<String, Ed25519PrivateKeyParameters> signers) {
    SignedEnvelope.Builder envelope =
        SignedEnvelope.newBuilder()
            .setPayload(ByteString.copyFrom(payload))
            .setPayloadType(payloadType);
    byte[] signed = Dsse.preAuthEncoding(payloadType, payload);
    signers.forEach(
        (keyId, key) ->
            envelope.addSignatures(
                Signature.newBuilder()
                    .setKeyId(keyId)
                    .setSignature(ByteString.copyFrom(Ed25519Keys.sign(key, signed)))));
    return envelope.build();
  }

  /** The key ids among {@code role}'s whose signatures on {@code envelope} verify. */
  static Set<String> validSigners(SignedEnvelope envelope, RootMetadata keysFrom, RoleKeys role) {
    byte[] signed =
        Dsse.preAuthEncoding(envelope.getPayloadType(), envelope.getPayload().toByteArray());
    Set<String> valid = new LinkedHashSet<>();
    for (Signature signature : envelope.getSignaturesList()) {
      if (role.getKeyIdsList().contains(signature.getKeyId())
          && verifies(
              RootRoles.key(keysFrom, signature.getKeyId()),
              signed,
              signature.getSignature().toByteArray())) {
        valid.add(signature.getKeyId());
      }
    }
    return valid;
  }

  static boolean verifies(PublicKey key, byte[] message, byte[] signature) {
    try {
      return Ed25519Keys.verify(
          Ed25519Keys.parsePublicKey(key.getPublicKey().toByteArray()), message, signature);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
