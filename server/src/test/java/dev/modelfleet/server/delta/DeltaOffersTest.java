package dev.modelfleet.server.delta;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import dev.modelfleet.protocol.agent.v1.CompressedArtifact;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Which cheaper ways to a variant's bytes a desired model names, when both exist. */
class DeltaOffersTest {

  private static final UUID VARIANT = UUID.randomUUID();

  private static DeltaOffers.Lookup offering(long deltaSize, long compressedSize) {
    return new DeltaOffers.Lookup() {
      @Override
      public Optional<ArtifactDelta> offer(UUID target, String installed) {
        return Optional.of(ArtifactDelta.newBuilder().setSha256("d").setSize(deltaSize).build());
      }

      @Override
      public Optional<CompressedArtifact> compressed(UUID target) {
        return Optional.of(
            CompressedArtifact.newBuilder().setSha256("c").setSize(compressedSize).build());
      }
    };
  }

  private static DesiredModel offered(DeltaOffers.Lookup lookup) {
    DesiredModel.Builder model = DesiredModel.newBuilder();
    lookup.offerOn(model, VARIANT, "base");
    return model.build();
  }

  @Test
  void a_delta_smaller_than_the_compressed_copy_is_offered_first_with_the_copy_behind_it() {
    DesiredModel model = offered(offering(1_000, 90_000));

    assertTrue(model.hasDelta());
    assertEquals("c", model.getCompressed().getSha256());
  }

  @Test
  void a_delta_larger_than_the_compressed_copy_is_not_offered() {
    DesiredModel model = offered(offering(95_000, 90_000));

    assertFalse(model.hasDelta());
    assertEquals("c", model.getCompressed().getSha256());
  }

  @Test
  void without_a_compressed_copy_the_delta_alone_is_offered() {
    DeltaOffers.Lookup deltaOnly =
        (target, installed) -> Optional.of(ArtifactDelta.newBuilder().setSize(95_000).build());

    DesiredModel model = offered(deltaOnly);

    assertTrue(model.hasDelta());
    assertFalse(model.hasCompressed());
  }
}
