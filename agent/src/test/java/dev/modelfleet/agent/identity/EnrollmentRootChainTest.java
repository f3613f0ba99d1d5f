package dev.modelfleet.agent.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.RootPin;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent configured with the fleet's first root key enrolls with a server whose root was rotated
 * since: it walks root_history up to the current root, and a restart keeps it. The first version it
 * trusts must keep the pinned keys in its root role and meet its own root threshold; with several
 * pinned keys, the pin's threshold of them must sign it.
 */
class EnrollmentRootChainTest {

  @TempDir Path dir;
  final KeyPair firstRoot = Ed25519.generate();
  final KeyPair secondRoot = Ed25519.generate();
  final KeyPair targets = Ed25519.generate();

  SignedEnvelope version(long version, KeyPair rootKey, KeyPair... signers) {
    return version(version, List.of(rootKey), 1, signers);
  }

  /** Root metadata whose root role is {@code rootKeys} with {@code threshold}, signed as given. */
  SignedEnvelope version(long version, List<KeyPair> rootKeys, int threshold, KeyPair... signers) {
    RootMetadata.Builder metadata =
        RootMetadata.newBuilder()
            .setVersion(version)
            .setExpiresAtMs(System.currentTimeMillis() + 3_600_000);
    RoleKeys.Builder root = RoleKeys.newBuilder().setRole(Dsse.ROLE_ROOT).setThreshold(threshold);
    for (KeyPair key : rootKeys) {
      metadata.addKeys(key(key));
      root.addKeyIds(FleetFixture.keyId(key));
    }
    metadata
        .addKeys(key(targets))
        .addRoles(root)
        .addRoles(
            RoleKeys.newBuilder()
                .setRole(Dsse.ROLE_TARGETS)
                .addKeyIds(FleetFixture.keyId(targets))
                .setThreshold(1));
    SignedEnvelope.Builder envelope =
        FleetFixture.sign(metadata.build(), Dsse.ROOT_METADATA_TYPE, signers[0]).toBuilder();
    for (int i = 1; i < signers.length; i++) {
      envelope.addSignatures(
          FleetFixture.sign(metadata.build(), Dsse.ROOT_METADATA_TYPE, signers[i])
              .getSignatures(0));
    }
    return envelope.build();
  }

  static PublicKey key(KeyPair pair) {
    return PublicKey.newBuilder()
        .setKeyId(FleetFixture.keyId(pair))
        .setAlgorithm("ed25519")
        .setPublicKey(ByteString.copyFrom(pair.getPublic().getEncoded()))
        .build();
  }

  DeviceIdentity enroll(EnrollResponse response, byte[] pinned) throws Exception {
    return enroll(response, RootPin.of(pinned));
  }

  DeviceIdentity enroll(EnrollResponse response, RootPin pin) throws Exception {
    return Enrollment.enroll(
        new IdentityStore(dir),
        request -> response,
        "token",
        "dev",
        HardwareProfile.getDefaultInstance(),
        new byte[0],
        pin,
        System.currentTimeMillis());
  }

  static EnrollResponse response(SignedEnvelope current, SignedEnvelope... history) {
    return EnrollResponse.newBuilder()
        .setDeviceId("dev-1")
        .setDeviceCredential("secret")
        .addAllRootHistory(List.of(history))
        .setRootMetadata(current)
        .build();
  }

  /** Enrollment refused with {@code reasonCode}, and nothing stored as if enrolled. */
  void assertEnrollmentRefused(EnrollResponse response, byte[] pinned, String reasonCode)
      throws Exception {
    VerificationException refused =
        assertThrows(VerificationException.class, () -> enroll(response, pinned));
    assertEquals(reasonCode, refused.reasonCode(), refused.getMessage());
    assertFalse(new IdentityStore(dir).enrolled());
  }

  @Test
  void walksTheHistoryFromThePinnedKeyAndKeepsTheRootAcrossARestart() throws Exception {
    EnrollResponse response =
        EnrollResponse.newBuilder()
            .setDeviceId("dev-1")
            .setDeviceCredential("secret")
            .addRootHistory(version(1, firstRoot, firstRoot))
            .addRootHistory(version(2, secondRoot, firstRoot, secondRoot))
            .setRootMetadata(version(3, secondRoot, secondRoot))
            .build();
    byte[] pinned = firstRoot.getPublic().getEncoded();

    assertEquals(3, enroll(response, pinned).trustedRoot().version());
    assertEquals(3, new IdentityStore(dir).load(RootPin.of(pinned)).trustedRoot().version());
  }

  @Test
  void aBrokenLinkInTheHistoryFailsEnrollment() {
    EnrollResponse response =
        EnrollResponse.newBuilder()
            .setDeviceId("dev-1")
            .setDeviceCredential("secret")
            .addRootHistory(version(1, firstRoot, firstRoot))
            .setRootMetadata(version(2, secondRoot, secondRoot)) // the old root never agreed
            .build();
    VerificationException refused =
        assertThrows(
            VerificationException.class,
            () -> enroll(response, firstRoot.getPublic().getEncoded()));
    assertEquals(RootChain.SIGNATURE_THRESHOLD, refused.reasonCode());
  }

  // The first root: the pinned key must keep the root role, and the root's own threshold holds.

  @Test
  void aFirstRootThePinnedKeySignsButThatHandsTheRootRoleToOtherKeysIsRefused() throws Exception {
    KeyPair attackers = Ed25519.generate();
    byte[] pinned = firstRoot.getPublic().getEncoded();
    // signed by the pinned key (stolen, or a server that holds it), listing only another key
    assertEnrollmentRefused(
        response(version(1, attackers, firstRoot)), pinned, RootChain.PIN_NOT_LISTED);
    assertEnrollmentRefused(
        response(version(1, attackers, firstRoot, attackers)), pinned, RootChain.PIN_NOT_LISTED);
    // and from there on nothing: the versions it would vouch for are not reached either
    assertEnrollmentRefused(
        response(version(2, attackers, attackers), version(1, attackers, firstRoot, attackers)),
        pinned,
        RootChain.PIN_NOT_LISTED);
  }

  @Test
  void aFirstRootSignedByThePinnedKeyBelowItsOwnRootThresholdIsRefused() throws Exception {
    byte[] pinned = firstRoot.getPublic().getEncoded();
    List<KeyPair> twoRootKeys = List.of(firstRoot, secondRoot);
    assertEnrollmentRefused(
        response(version(1, twoRootKeys, 2, firstRoot)), pinned, RootChain.SIGNATURE_THRESHOLD);

    assertEquals(
        1,
        enroll(response(version(1, twoRootKeys, 2, firstRoot, secondRoot)), pinned)
            .trustedRoot()
            .version());
    assertEquals(
        1,
        new IdentityStore(dir).load(RootPin.of(pinned)).trustedRoot().version(),
        "a restart walks from the pin by the same rule");
  }

  // Several pinned root keys (the file GET /api/v1/trust/root.pem serves for a multi-key root).

  final KeyPair a = Ed25519.generate();
  final KeyPair b = Ed25519.generate();
  final KeyPair c = Ed25519.generate();

  RootPin pinFile(String text) throws Exception {
    Path file = dir.resolveSibling(dir.getFileName() + "-pin.pem");
    Files.writeString(file, text);
    return RootPin.read(file);
  }

  static String pem(KeyPair... keys) {
    StringBuilder out = new StringBuilder();
    for (KeyPair key : keys) {
      out.append(Ed25519.toPem(key.getPublic().getEncoded()));
    }
    return out.toString();
  }

  @Test
  void severalPinnedRootKeysWalkFromTheVersionTheyHoldAndSurviveARestart() throws Exception {
    List<KeyPair> abc = List.of(a, b, c);
    EnrollResponse response =
        response(
            version(3, abc, 2, a, c),
            version(1, firstRoot, firstRoot),
            version(2, abc, 2, firstRoot, a, b));
    RootPin pin = pinFile("ModelFleet root keys\nroot-threshold: 2\n" + pem(a, b, c));
    assertEquals(3, pin.keys().size());
    assertEquals(2, pin.threshold());

    assertEquals(3, enroll(response, pin).trustedRoot().version());

    RootPin stored = RootPin.read(new IdentityStore(dir).pinnedRootKeyFile());
    assertEquals(pin.keyIds(), stored.keyIds());
    assertEquals(2, stored.threshold());
    assertEquals(3, new IdentityStore(dir).load(stored).trustedRoot().version());
  }

  @Test
  void oneStolenKeyOfSeveralPinnedCannotVouchForARootOfItsOwn() throws Exception {
    // the thief holds a alone and makes a version 1 that keeps the pinned keys but needs one
    SignedEnvelope forged = version(1, List.of(a, b, c), 1, a);
    RootPin pin = pinFile("root-threshold: 2\n" + pem(a, b, c));
    VerificationException refused =
        assertThrows(VerificationException.class, () -> enroll(response(forged), pin));
    assertEquals("signature-threshold", refused.reasonCode(), refused.getMessage());
    assertFalse(new IdentityStore(dir).enrolled());

    // without a threshold line every pinned key must sign
    RootPin all = pinFile(pem(a, b));
    assertEquals(2, all.threshold());
    assertEquals(
        "signature-threshold",
        assertThrows(
                VerificationException.class,
                () -> enroll(response(version(1, List.of(a, b), 1, a)), all))
            .reasonCode());
    assertEquals(
        1, enroll(response(version(1, List.of(a, b), 1, a, b)), all).trustedRoot().version());
  }

  @Test
  void aPinFileIsReadWithClearMessagesForWhatIsWrongInIt() throws Exception {
    assertEquals(1, pinFile(pem(a)).threshold(), "an old single-key root.pem reads as before");
    for (String[] bad :
        new String[][] {
          {"root-threshold: 3\n" + pem(a, b), "must be a number from 1 to 2"},
          {"root-threshold: 0\n" + pem(a, b), "must be a number from 1 to 2"},
          {"root-threshold: two\n" + pem(a, b), "must be a number from 1 to 2"},
          {"root-threshold: 1\nroot-threshold: 2\n" + pem(a, b), "two 'root-threshold' lines"},
          {pem(a, a), "twice"},
          {"hello", "GET /api/v1/trust/root.pem"}
        }) {
      IOException e = assertThrows(IOException.class, () -> pinFile(bad[0]));
      assertTrue(e.getMessage().contains(bad[1]), e.getMessage());
    }
  }
}
