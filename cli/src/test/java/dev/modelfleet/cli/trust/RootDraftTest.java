package dev.modelfleet.cli.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.modelfleet.cli.CliException;
import dev.modelfleet.cli.ExitCode;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A draft is decoded and shown, checked as SignRoot.java checks it, then signed as agents verify.
 */
class RootDraftTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path keys;
  static RootSigner.Key oldRoot;
  static RootSigner.Key newRoot;
  static RootSigner.Key targets;

  @BeforeAll
  static void keys() {
    oldRoot = RootSigner.generate(keys.resolve("old.key"));
    newRoot = RootSigner.generate(keys.resolve("new.key"));
    targets = RootSigner.generate(keys.resolve("targets.key"));
  }

  static PublicKey key(RootSigner.Key key) {
    return PublicKey.newBuilder()
        .setKeyId(key.keyId())
        .setAlgorithm("ed25519")
        .setPublicKey(ByteString.copyFrom(key.publicKey()))
        .build();
  }

  static RootMetadata root(long version, RootSigner.Key root) {
    return RootMetadata.newBuilder()
        .setVersion(version)
        .setExpiresAtMs(Instant.parse("2027-11-26T00:00:00Z").toEpochMilli())
        .addKeys(key(root))
        .addKeys(key(targets))
        .addRoles(RoleKeys.newBuilder().setRole("root").addKeyIds(root.keyId()).setThreshold(1))
        .addRoles(
            RoleKeys.newBuilder().setRole("targets").addKeyIds(targets.keyId()).setThreshold(1))
        .build();
  }

  static ObjectNode draft(long claimed, byte[] payload) {
    ObjectNode draft = JSON.createObjectNode();
    draft.put("version", claimed);
    draft.put("payloadType", RootDraft.ROOT_METADATA_TYPE);
    draft.put("payloadBase64", Base64.getEncoder().encodeToString(payload));
    return draft;
  }

  @Test
  void aDraftIsDecodedShownAndSignedOverItsPreAuthenticationEncoding() throws Exception {
    byte[] payload = root(4, newRoot).toByteArray();
    RootDraft draft = RootDraft.fromJson(draft(4, payload));
    RootMetadata previous = root(3, oldRoot);

    String shown =
        RootDescription.describe(
            draft, previous, oldRoot.keyId(), Instant.parse("2026-11-26T00:00:00Z"));
    assertTrue(shown.contains("=== Root metadata version 4 ==="), shown);
    assertTrue(shown.contains("expires   2027-11-26T00:00:00Z (in 365 days"), shown);
    assertTrue(shown.contains("role root      threshold 1 of 1 key(s)"), shown);
    assertTrue(shown.contains(newRoot.keyId() + "  ed25519  NEW"), shown);
    assertTrue(shown.contains("root: key ADDED    " + newRoot.keyId()), shown);
    assertTrue(shown.contains("root: key REMOVED  " + oldRoot.keyId()), shown);
    assertTrue(
        shown.contains("note: the key you are signing with is no root key of version 4"), shown);

    RootSigner.requireRootKey(draft, previous, oldRoot.keyId());
    ObjectNode signature = RootSigner.sign(oldRoot, draft);
    assertEquals(4, signature.path("version").asLong());
    assertEquals(oldRoot.keyId(), signature.path("keyId").asText());

    ByteArrayOutputStream pae = new ByteArrayOutputStream();
    pae.write(
        ("DSSEv1 "
                + RootDraft.ROOT_METADATA_TYPE.length()
                + " "
                + RootDraft.ROOT_METADATA_TYPE
                + " "
                + payload.length
                + " ")
            .getBytes());
    pae.write(payload);
    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(
        KeyFactory.getInstance("Ed25519")
            .generatePublic(new X509EncodedKeySpec(oldRoot.publicKey())));
    verifier.update(pae.toByteArray());
    assertTrue(verifier.verify(Base64.getDecoder().decode(signature.path("signature").asText())));
  }

  @Test
  void aKeyReadFromItsFileHasTheSameIdAsWhenItWasMade() {
    assertEquals(oldRoot.keyId(), RootSigner.read(keys.resolve("old.key")).keyId());
  }

  private static void refused(String expected, Runnable action) {
    CliException e = assertThrows(CliException.class, action::run);
    assertEquals(ExitCode.REFUSED, e.exitCode());
    assertTrue(e.getMessage().startsWith("refused, nothing was signed: "), e.getMessage());
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void whatCannotBeShownUnambiguouslyIsRefused() {
    byte[] good = root(4, newRoot).toByteArray();
    refused("claims version 5", () -> RootDraft.fromJson(draft(5, good)));
    ObjectNode otherType =
        draft(4, good)
            .put("payloadType", "application/vnd.modelfleet.variant-manifest.v1+protobuf");
    refused("not root metadata", () -> RootDraft.fromJson(otherType));

    byte[] unknownField = concat(good, new byte[] {(byte) (9 << 3), 1});
    refused("a field unknown", () -> RootDraft.fromJson(draft(4, unknownField)));
    byte[] versionTwice = concat(good, new byte[] {(byte) (1 << 3), 5});
    refused("canonical encoding", () -> RootDraft.fromJson(draft(5, versionTwice)));

    RootMetadata wrongId =
        root(4, newRoot).toBuilder()
            .setKeys(0, key(newRoot).toBuilder().setKeyId(targets.keyId()))
            .build();
    refused(
        "is not the sha256 of its public key",
        () -> RootDraft.fromJson(draft(4, wrongId.toByteArray())));
    RootMetadata unknownRole =
        root(4, newRoot).toBuilder()
            .addRoles(
                RoleKeys.newBuilder().setRole("mirror").addKeyIds(targets.keyId()).setThreshold(1))
            .build();
    refused(
        "role 'mirror' is unknown", () -> RootDraft.fromJson(draft(4, unknownRole.toByteArray())));
    RootMetadata threshold =
        root(4, newRoot).toBuilder()
            .setRoles(
                0, RoleKeys.newBuilder().setRole("root").addKeyIds(newRoot.keyId()).setThreshold(2))
            .build();
    refused(
        "requires 2 signatures but has 1 key(s)",
        () -> RootDraft.fromJson(draft(4, threshold.toByteArray())));
    RootMetadata noTargets = root(4, newRoot).toBuilder().removeRoles(1).build();
    refused("no targets role", () -> RootDraft.fromJson(draft(4, noTargets.toByteArray())));
  }

  @Test
  void aKeyOfNeitherRootVersionIsRefusedAndSoIsAVersionThatSkips() {
    RootDraft draft = RootDraft.fromJson(draft(4, root(4, newRoot).toByteArray()));
    refused(
        "is a root key of neither version 3 nor version 4",
        () -> RootSigner.requireRootKey(draft, root(3, oldRoot), targets.keyId()));
    refused(
        "follows the one before it by exactly one",
        () -> RootSigner.requireRootKey(draft, root(2, oldRoot), oldRoot.keyId()));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
