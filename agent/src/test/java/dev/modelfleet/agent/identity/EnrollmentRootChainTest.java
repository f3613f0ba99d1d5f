package dev.modelfleet.agent.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.trust.Ed25519;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.agent.v1.EnrollResponse;
import dev.modelfleet.agent.v1.HardwareProfile;
import dev.modelfleet.agent.v1.PublicKey;
import dev.modelfleet.agent.v1.RoleKeys;
import dev.modelfleet.agent.v1.RootMetadata;
import dev.modelfleet.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.Dsse;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent configured with the fleet's first root key enrolls with a server whose root was
 * rotated since: it walks root_history up to the current root, and a restart keeps it.
 */
class EnrollmentRootChainTest {

  @TempDir Path dir;
  final KeyPair firstRoot = Ed25519.generate();
  final KeyPair secondRoot = Ed25519.generate();
  final KeyPair targets = Ed25519.generate();

  SignedEnvelope version(long version, KeyPair rootKey, KeyPair... signers) {
    RootMetadata metadata = RootMetadata.newBuilder().setVersion(version)
        .setExpiresAtMs(System.currentTimeMillis() + 3_600_000)
        .addKeys(key(rootKey)).addKeys(key(targets))
        .addRoles(RoleKeys.newBuilder().setRole(Dsse.ROLE_ROOT)
            .addKeyIds(FleetFixture.keyId(rootKey)).setThreshold(1))
        .addRoles(RoleKeys.newBuilder().setRole(Dsse.ROLE_TARGETS)
            .addKeyIds(FleetFixture.keyId(targets)).setThreshold(1))
        .build();
    SignedEnvelope.Builder envelope =
        FleetFixture.sign(metadata, Dsse.ROOT_METADATA_TYPE, signers[0]).toBuilder();
    for (int i = 1; i < signers.length; i++) {
      envelope.addSignatures(FleetFixture.sign(metadata, Dsse.ROOT_METADATA_TYPE, signers[i])
          .getSignatures(0));
    }
    return envelope.build();
  }

  static PublicKey key(KeyPair pair) {
    return PublicKey.newBuilder().setKeyId(FleetFixture.keyId(pair)).setAlgorithm("ed25519")
        .setPublicKey(ByteString.copyFrom(pair.getPublic().getEncoded())).build();
  }

  DeviceIdentity enroll(EnrollResponse response, byte[] pinned) throws Exception {
    return Enrollment.enroll(new IdentityStore(dir), request -> response, "token", "dev",
        HardwareProfile.getDefaultInstance(), pinned, System.currentTimeMillis());
  }

  @Test
  void walksTheHistoryFromThePinnedKeyAndKeepsTheRootAcrossARestart() throws Exception {
    EnrollResponse response = EnrollResponse.newBuilder().setDeviceId("dev-1")
        .setDeviceCredential("secret")
        .addRootHistory(version(1, firstRoot, firstRoot))
        .addRootHistory(version(2, secondRoot, firstRoot, secondRoot))
        .setRootMetadata(version(3, secondRoot, secondRoot))
        .build();
    byte[] pinned = firstRoot.getPublic().getEncoded();

    assertEquals(3, enroll(response, pinned).trustedRoot().version());
    assertEquals(3, new IdentityStore(dir).load(pinned).trustedRoot().version());
  }

  @Test
  void aBrokenLinkInTheHistoryFailsEnrollment() {
    EnrollResponse response = EnrollResponse.newBuilder().setDeviceId("dev-1")
        .setDeviceCredential("secret")
        .addRootHistory(version(1, firstRoot, firstRoot))
        .setRootMetadata(version(2, secondRoot, secondRoot)) // the old root never agreed
        .build();
    VerificationException refused = assertThrows(VerificationException.class,
        () -> enroll(response, firstRoot.getPublic().getEncoded()));
    assertEquals(RootChain.SIGNATURE_THRESHOLD, refused.reasonCode());
  }
}
