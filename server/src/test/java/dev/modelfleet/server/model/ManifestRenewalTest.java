package dev.modelfleet.server.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.EnrollResponse;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.support.AgentClient;
import dev.modelfleet.server.support.AgentClient.SyncStream;
import dev.modelfleet.server.support.Api;
import dev.modelfleet.server.support.Fixtures;
import dev.modelfleet.server.support.Signatures;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Variant manifests (targets metadata) expire; the server renews them at half their lifetime, one
 * targets version up, and pushes the desired states that embed them to their devices.
 */
@QuarkusTest
@TestProfile(ManifestRenewalTest.ShortManifestTtl.class)
class ManifestRenewalTest {

  public static class ShortManifestTtl implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("modelfleet.manifest-ttl", "4s");
    }
  }

  AgentClient agent;

  @BeforeEach
  void connect() {
    agent = new AgentClient();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    agent.close();
  }

  @Test
  void aManifestPastHalfItsLifetimeIsRenewedAndTheDesiredStateReissued() throws Exception {
    EnrollResponse device = agent.enroll(Fixtures.enrollmentToken(Map.of(), 1));
    var root = Signatures.verifiedRoot(device.getRootMetadata(), Signatures.pinnedRootKey());
    byte[] targetsKey = Signatures.targetsKey(root);
    byte[] directorKey = Signatures.directorKey(root);
    var published = Fixtures.publishedClassifier(83);
    SyncStream stream = agent.sync(device.getDeviceCredential());
    stream.hello();
    stream.next(); // config
    Api.adminJson()
        .body(Map.of("deviceId", device.getDeviceId()))
        .post(
            "/api/v1/models/"
                + published.model()
                + "/versions/"
                + published.version()
                + "/assignments")
        .then()
        .statusCode(200);

    DesiredState first = verified(nextDesired(stream), directorKey);
    VariantManifest signed = manifest(first, targetsKey);
    assertTrue(signed.getTargetsVersion() >= 1);
    long lifetime = signed.getExpiresAtMs() - System.currentTimeMillis();
    assertTrue(
        lifetime > 0 && lifetime <= Duration.ofSeconds(4).toMillis(), "expires in " + lifetime);

    // nothing else changes for this device: the next document is the renewal's (due after 2 s)
    DesiredState reissued = verified(nextDesired(stream), directorKey);
    VariantManifest renewed = manifest(reissued, targetsKey);
    assertEquals(first.getGeneration() + 1, reissued.getGeneration());
    assertEquals(signed.getTargetsVersion() + 1, renewed.getTargetsVersion());
    assertTrue(renewed.getExpiresAtMs() > signed.getExpiresAtMs());
    assertEquals(
        signed.toBuilder().clearTargetsVersion().clearExpiresAtMs().build(),
        renewed.toBuilder().clearTargetsVersion().clearExpiresAtMs().build(),
        "the same variant and bytes, re-signed");
    assertEquals(published.sha256(), renewed.getSha256());
    stream.cancel();
  }

  private static VariantManifest manifest(DesiredState state, byte[] targetsKey) throws Exception {
    assertEquals(1, state.getModelsCount());
    SignedEnvelope envelope = state.getModels(0).getManifest();
    Signatures.verify(envelope, targetsKey, Dsse.VARIANT_MANIFEST_TYPE);
    return VariantManifest.parseFrom(envelope.getPayload());
  }

  private static DesiredState verified(SignedEnvelope envelope, byte[] directorKey)
      throws Exception {
    Signatures.verify(envelope, directorKey, Dsse.DESIRED_STATE_TYPE);
    return DesiredState.parseFrom(envelope.getPayload());
  }

  private static SignedEnvelope nextDesired(SyncStream stream) throws InterruptedException {
    ServerMessage message = stream.next();
    while (!message.hasDesiredState()) {
      message = stream.next();
    }
    return message.getDesiredState();
  }
}
