package dev.modelfleet.agent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FakeModelLoader;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.onnx.delta.DeltaMaker;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new version offered as a delta from the one running: used when it works, refused otherwise. */
class DeployerDeltaTest {

  @TempDir Path stateDir;
  @TempDir Path work;
  final byte[] v1 = FakeModelLoader.model(1, 300_000);
  final byte[] v2 = FakeModelLoader.model(2, 300_000);
  DeployerOnFixture device;
  FleetFixture fleet;
  InMemoryArtifactSource source;
  ModelRegistry registry;
  StateStore store;
  List<DeploymentProgress> progress;

  @BeforeEach
  void runVersionOne() throws Exception {
    device = new DeployerOnFixture(stateDir, new FakeModelLoader());
    fleet = device.fleet;
    source = device.source;
    registry = device.registry;
    store = device.store;
    progress = device.progress;
    source.put(v1);
    device.deploy(fleet.desiredModel("m", "1", v1));
    assertEquals(Dsse.sha256Hex(v1), registry.peek("m").sha256());
    progress.clear();
  }

  @AfterEach
  void close() {
    device.close();
  }

  private byte[] delta(byte[] base, byte[] target) throws IOException {
    Path b = Files.write(work.resolve("base-" + Arrays.hashCode(base)), base);
    Path t = Files.write(work.resolve("target-" + Arrays.hashCode(target)), target);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    DeltaMaker.make(b, t, out);
    return out.toByteArray();
  }

  private static ArtifactDelta offer(byte[] base, String deltaSha256, long deltaSize) {
    return ArtifactDelta.newBuilder()
        .setBaseSha256(Dsse.sha256Hex(base))
        .setBaseSize(base.length)
        .setSha256(deltaSha256)
        .setSize(deltaSize)
        .build();
  }

  private void deployTwo(ArtifactDelta offer) throws InterruptedException {
    device.deploy(fleet.desiredModel("m", "2", v2).toBuilder().setDelta(offer).build());
  }

  private DeploymentProgress active() {
    return device.active();
  }

  @Test
  void the_new_version_is_rebuilt_from_the_delta_without_fetching_it_whole() throws Exception {
    byte[] delta = delta(v1, v2);
    String deltaSha = source.put(delta);
    // v2 itself is not served at all: only the delta can bring it

    deployTwo(offer(v1, deltaSha, delta.length));

    assertEquals(Dsse.sha256Hex(v2), registry.peek("m").sha256());
    assertTrue(active().getDeliveredByDelta());
    assertEquals("", active().getDeltaFallbackReason());
    assertTrue(delta.length < v2.length / 10, "delta of " + delta.length + " bytes");
    assertTrue(Files.notExists(store.artifact(deltaSha)), "the delta file is removed once applied");
  }

  @Test
  void a_tampered_delta_falls_back_to_the_whole_artifact_and_says_why() throws Exception {
    byte[] delta = delta(v1, v2);
    String deltaSha = Dsse.sha256Hex(delta);
    byte[] tampered = delta.clone();
    tampered[tampered.length / 2] ^= 1;
    source.putAs(deltaSha, tampered);
    source.put(v2);

    deployTwo(offer(v1, deltaSha, delta.length));

    assertEquals(Dsse.sha256Hex(v2), registry.peek("m").sha256());
    assertFalse(active().getDeliveredByDelta());
    assertTrue(
        active().getDeltaFallbackReason().startsWith("delta-download-failed"),
        active().getDeltaFallbackReason());
  }

  @Test
  void a_delta_that_rebuilds_other_bytes_is_refused_and_the_artifact_fetched_whole()
      throws Exception {
    byte[] v3 = FakeModelLoader.model(3, 300_000);
    byte[] wrong = delta(v1, v3); // well formed, signed nowhere: it rebuilds v3, not v2
    String wrongSha = source.put(wrong);
    source.put(v2);

    deployTwo(offer(v1, wrongSha, wrong.length));

    assertEquals(Dsse.sha256Hex(v2), registry.peek("m").sha256());
    assertTrue(
        active().getDeltaFallbackReason().startsWith("delta-result-mismatch"),
        active().getDeltaFallbackReason());
  }

  @Test
  void a_delta_from_a_base_this_device_does_not_hold_is_not_fetched() throws Exception {
    byte[] other = FakeModelLoader.model(4, 300_000);
    byte[] delta = delta(other, v2);
    String deltaSha = source.put(delta);
    source.put(v2);

    deployTwo(offer(other, deltaSha, delta.length));

    assertEquals(Dsse.sha256Hex(v2), registry.peek("m").sha256());
    assertTrue(
        active().getDeltaFallbackReason().startsWith("delta-base-missing"),
        active().getDeltaFallbackReason());
  }

  @Test
  void a_delta_that_does_not_decode_is_refused() throws Exception {
    byte[] garbage = new byte[1000];
    Arrays.fill(garbage, (byte) 7);
    String garbageSha = source.put(garbage);
    source.put(v2);

    deployTwo(offer(v1, garbageSha, garbage.length));

    assertEquals(Dsse.sha256Hex(v2), registry.peek("m").sha256());
    assertTrue(
        active().getDeltaFallbackReason().startsWith("delta-apply-failed"),
        active().getDeltaFallbackReason());
  }
}
