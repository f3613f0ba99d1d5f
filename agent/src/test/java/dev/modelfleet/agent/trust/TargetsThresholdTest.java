package dev.modelfleet.agent.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.PublicKey;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.security.KeyPair;
import org.junit.jupiter.api.Test;

/** The root metadata's targets threshold is a rule the root key signed: the agent keeps it. */
class TargetsThresholdTest {

  final FleetFixture fleet = new FleetFixture();
  final KeyPair second = Ed25519.generate();

  TrustedRoot rootWithThreshold(int threshold) throws Exception {
    RootMetadata metadata =
        RootMetadata.newBuilder()
            .setVersion(2)
            .setExpiresAtMs(System.currentTimeMillis() + 3_600_000)
            .addKeys(key(fleet.root))
            .addKeys(key(fleet.targets))
            .addKeys(key(second))
            .addRoles(
                RoleKeys.newBuilder()
                    .setRole(Dsse.ROLE_ROOT)
                    .addKeyIds(FleetFixture.keyId(fleet.root))
                    .setThreshold(1))
            .addRoles(
                RoleKeys.newBuilder()
                    .setRole(Dsse.ROLE_TARGETS)
                    .addKeyIds(FleetFixture.keyId(fleet.targets))
                    .addKeyIds(FleetFixture.keyId(second))
                    .setThreshold(threshold))
            .build();
    return TrustedRoot.verify(
        FleetFixture.sign(metadata, Dsse.ROOT_METADATA_TYPE, fleet.root),
        fleet.rootKeySpki(),
        System.currentTimeMillis());
  }

  static PublicKey key(KeyPair pair) {
    return PublicKey.newBuilder()
        .setKeyId(FleetFixture.keyId(pair))
        .setAlgorithm("ed25519")
        .setPublicKey(ByteString.copyFrom(pair.getPublic().getEncoded()))
        .build();
  }

  DesiredState verify(TrustedRoot root, SignedEnvelope envelope) throws Exception {
    return new DesiredStateVerifier(() -> root, FleetFixture.DEVICE_ID, System::currentTimeMillis)
        .verify(envelope, 0, "");
  }

  @Test
  void oneSignatureDoesNotMeetAThresholdOfTwo() throws Exception {
    TrustedRoot root = rootWithThreshold(2);
    SignedEnvelope once = fleet.signDesired(fleet.desiredState());
    VerificationException e = assertThrows(VerificationException.class, () -> verify(root, once));
    assertEquals("signature-threshold", e.reasonCode(), e.getMessage());
  }

  @Test
  void theSameKeySigningTwiceCountsOnce() throws Exception {
    TrustedRoot root = rootWithThreshold(2);
    SignedEnvelope once = fleet.signDesired(fleet.desiredState());
    SignedEnvelope twice = once.toBuilder().addSignatures(once.getSignatures(0)).build();
    VerificationException e = assertThrows(VerificationException.class, () -> verify(root, twice));
    assertEquals("signature-threshold", e.reasonCode(), e.getMessage());
  }

  @Test
  void twoDistinctTargetsKeysMeetAThresholdOfTwo() throws Exception {
    TrustedRoot root = rootWithThreshold(2);
    DesiredState.Builder state = fleet.desiredState();
    SignedEnvelope first = fleet.signDesired(state);
    SignedEnvelope both =
        first.toBuilder()
            .addSignatures(
                FleetFixture.sign(state.build(), Dsse.DESIRED_STATE_TYPE, second).getSignatures(0))
            .build();
    assertEquals(FleetFixture.DEVICE_ID, verify(root, both).getDeviceId());
  }

  @Test
  void thresholdZeroOrOneNeedsOneSignature() throws Exception {
    for (int threshold : new int[] {0, 1}) {
      TrustedRoot root = rootWithThreshold(threshold);
      assertEquals(
          FleetFixture.DEVICE_ID,
          verify(root, fleet.signDesired(fleet.desiredState())).getDeviceId());
    }
  }

  @Test
  void aThresholdAboveTheNumberOfKeysCanNeverBeMetAndIsRefusedUpFront() {
    VerificationException e = assertThrows(VerificationException.class, () -> rootWithThreshold(3));
    assertEquals("no-targets-key", e.reasonCode(), e.getMessage());
  }
}
