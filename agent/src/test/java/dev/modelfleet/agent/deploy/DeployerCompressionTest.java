package dev.modelfleet.agent.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.testing.FleetFixture;
import dev.modelfleet.agent.testing.InMemoryArtifactSource;
import dev.modelfleet.onnx.delta.WholeCompression;
import dev.modelfleet.onnx.samples.SampleModels;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import dev.modelfleet.protocol.agent.v1.CompressedArtifact;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
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

/**
 * A model offered as a compressed copy: decompressed and served by ONNX Runtime when the copy is
 * right, downloaded whole with the reason reported otherwise.
 */
class DeployerCompressionTest {

  @TempDir Path stateDir;
  @TempDir Path work;

  /** About 300 kB of fp32 weights: zstd saves several percent. */
  final byte[] model = SampleModels.classifier(71, 64, 1024, 10);

  DeployerOnFixture device;
  FleetFixture fleet;
  InMemoryArtifactSource source;
  ModelRegistry registry;
  StateStore store;
  List<DeploymentProgress> progress;

  @BeforeEach
  void start() throws Exception {
    device = new DeployerOnFixture(stateDir, new OrtModelLoader(1));
    fleet = device.fleet;
    source = device.source;
    registry = device.registry;
    store = device.store;
    progress = device.progress;
  }

  @AfterEach
  void close() {
    device.close();
  }

  private byte[] compressed(byte[] artifact) throws IOException {
    Path file = Files.write(work.resolve("a-" + Arrays.hashCode(artifact)), artifact);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    WholeCompression.compress(file, out);
    return out.toByteArray();
  }

  private static CompressedArtifact offer(String sha256, long size) {
    return CompressedArtifact.newBuilder()
        .setEncoding(WholeCompression.ENCODING)
        .setSha256(sha256)
        .setSize(size)
        .build();
  }

  private void deploy(DesiredModel.Builder desired) throws InterruptedException {
    device.deploy(desired.build());
  }

  private void deploy(CompressedArtifact offer) throws InterruptedException {
    deploy(fleet.desiredModel("m", "1", model).toBuilder().setCompressed(offer));
  }

  private DeploymentProgress active() {
    return device.active();
  }

  @Test
  void the_model_is_decompressed_from_the_smaller_copy_and_served() throws Exception {
    byte[] copy = compressed(model);
    String copySha = source.put(copy);
    // the model itself is not served at all: only the copy can bring it

    deploy(offer(copySha, copy.length));

    assertEquals(Dsse.sha256Hex(model), registry.peek("m").sha256());
    assertTrue(active().getDeliveredCompressed());
    assertEquals("", active().getCompressedFallbackReason());
    assertTrue(copy.length < model.length * 0.95, copy.length + " of " + model.length);
    assertTrue(Files.notExists(store.artifact(copySha)), "the copy is removed once decompressed");
    assertFalse(source.requestedOffsets.isEmpty());
  }

  @Test
  void a_tampered_copy_falls_back_to_the_whole_artifact_and_says_why() throws Exception {
    byte[] copy = compressed(model);
    String copySha = Dsse.sha256Hex(copy);
    byte[] tampered = copy.clone();
    tampered[tampered.length / 2] ^= 1;
    source.putAs(copySha, tampered);
    source.put(model);

    deploy(offer(copySha, copy.length));

    assertEquals(Dsse.sha256Hex(model), registry.peek("m").sha256());
    assertFalse(active().getDeliveredCompressed());
    assertTrue(
        active().getCompressedFallbackReason().startsWith("compressed-download-failed"),
        active().getCompressedFallbackReason());
  }

  @Test
  void a_copy_of_other_bytes_is_refused_before_anything_loads_it() throws Exception {
    byte[] other = compressed(SampleModels.classifier(72, 64, 1024, 10));
    String otherSha = source.put(other); // honestly hashed, signed nowhere
    source.put(model);

    deploy(offer(otherSha, other.length));

    assertEquals(Dsse.sha256Hex(model), registry.peek("m").sha256());
    assertTrue(
        active().getCompressedFallbackReason().startsWith("compressed-result-mismatch"),
        active().getCompressedFallbackReason());
  }

  @Test
  void a_copy_that_is_not_zstd_or_unpacks_past_the_signed_size_is_refused() throws Exception {
    byte[] garbage = new byte[1000];
    Arrays.fill(garbage, (byte) 7);
    String garbageSha = source.put(garbage);
    source.put(model);

    deploy(offer(garbageSha, garbage.length));

    assertTrue(
        active().getCompressedFallbackReason().startsWith("compressed-corrupt"),
        active().getCompressedFallbackReason());

    // a small file that would unpack to far more than the signed size stops at that size
    byte[] bomb = compressed(new byte[20 * model.length]);
    String bombSha = source.put(bomb);
    progress.clear();
    byte[] model2 = SampleModels.classifier(73, 64, 1024, 10);
    source.put(model2);

    deploy(
        fleet.desiredModel("m", "2", model2).toBuilder()
            .setCompressed(offer(bombSha, bomb.length)));

    assertEquals(Dsse.sha256Hex(model2), registry.peek("m").sha256());
    assertTrue(
        active().getCompressedFallbackReason().contains("more than the signed"),
        active().getCompressedFallbackReason());
  }

  @Test
  void an_encoding_this_agent_does_not_know_is_not_even_fetched() throws Exception {
    source.put(model);

    deploy(offer(Dsse.sha256Hex(new byte[] {1}), 1).toBuilder().setEncoding("brotli").build());

    assertTrue(
        active().getCompressedFallbackReason().startsWith("compressed-encoding-unknown"),
        active().getCompressedFallbackReason());
    assertFalse(active().getDeliveredCompressed());
  }

  @Test
  void a_delta_that_cannot_be_used_falls_back_to_the_compressed_copy_first() throws Exception {
    byte[] copy = compressed(model);
    String copySha = source.put(copy);
    ArtifactDelta fromNothingHeld =
        ArtifactDelta.newBuilder()
            .setBaseSha256(Dsse.sha256Hex(new byte[] {9}))
            .setBaseSize(1)
            .setSha256(Dsse.sha256Hex(new byte[] {8}))
            .setSize(1)
            .build();

    deploy(
        fleet.desiredModel("m", "1", model).toBuilder()
            .setDelta(fromNothingHeld)
            .setCompressed(offer(copySha, copy.length)));

    assertEquals(Dsse.sha256Hex(model), registry.peek("m").sha256());
    assertTrue(active().getDeltaFallbackReason().startsWith("delta-base-missing"));
    assertTrue(active().getDeliveredCompressed());
  }
}
