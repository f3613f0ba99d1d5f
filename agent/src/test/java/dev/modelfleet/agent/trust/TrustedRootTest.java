package dev.modelfleet.agent.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.testing.FleetFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrustedRootTest {

  final FleetFixture fleet = new FleetFixture();

  @Test
  void rootMetadataSignedByThePinnedKeyYieldsItsTargetsKeys() throws Exception {
    TrustedRoot root =
        TrustedRoot.verify(fleet.rootMetadata(), fleet.rootKeySpki(), System.currentTimeMillis());
    assertEquals(1, root.targetsKeys().size());
    assertTrue(root.targetsKeys().containsKey(FleetFixture.keyId(fleet.targets)));
  }

  @Test
  void rootMetadataFromAnotherRootIsRefused() {
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () -> TrustedRoot.verify(new FleetFixture().rootMetadata(), fleet.rootKeySpki(), 1));
    assertEquals("unknown-key", e.reasonCode());
  }

  @Test
  void expiredRootMetadataIsRefusedAtEnrollment() {
    VerificationException e =
        assertThrows(
            VerificationException.class,
            () -> TrustedRoot.verify(fleet.rootMetadata(), fleet.rootKeySpki(), Long.MAX_VALUE));
    assertEquals("root-expired", e.reasonCode());
  }

  @Test
  void pemRoundTripAndAClearMessageForAWrongFile(@TempDir Path dir) throws Exception {
    Path pem = dir.resolve("root.pem");
    Files.writeString(pem, Ed25519.toPem(fleet.rootKeySpki()));
    assertEquals(
        FleetFixture.keyId(fleet.root),
        dev.modelfleet.protocol.Dsse.keyId(Ed25519.readPublicKeyPem(pem)));
    Files.writeString(pem, "hello");
    var e = assertThrows(java.io.IOException.class, () -> Ed25519.readPublicKeyPem(pem));
    assertTrue(e.getMessage().contains("/api/v1/trust/root.pem"), e.getMessage());
  }
}
