package dev.modelfleet.server.delta;

import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import dev.modelfleet.protocol.agent.v1.CompressedArtifact;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The delta a device is offered for a variant: a kept one whose base is the artifact the device
 * last reported holding for that model; and the variant's compressed copy, when kept. Read inside
 * the caller's transaction.
 */
@ApplicationScoped
public class DeltaOffers {

  public Optional<ArtifactDelta> offer(UUID targetVariantId, String installedSha256) {
    if (installedSha256 == null || installedSha256.isEmpty()) {
      return Optional.empty();
    }
    return VariantDelta.kept(targetVariantId, installedSha256)
        .map(
            d ->
                ArtifactDelta.newBuilder()
                    .setBaseSha256(d.baseSha256.strip())
                    .setBaseSize(d.baseSize)
                    .setSha256(d.deltaSha256.strip())
                    .setSize(d.deltaSize)
                    .build());
  }

  /** What a batch of devices is offered besides the artifact whole. */
  public interface Lookup {
    Optional<ArtifactDelta> offer(UUID targetVariantId, String installedSha256);

    /** The variant compressed whole, when kept. */
    default Optional<CompressedArtifact> compressed(UUID targetVariantId) {
      return Optional.empty();
    }

    /**
     * Sets on {@code model} the cheapest ways to the variant's bytes: the delta from what the
     * device holds when it is smaller than the compressed copy (the delta's fallback is then the
     * compressed copy, the artifact whole after it), else only the compressed copy.
     */
    default void offerOn(DesiredModel.Builder model, UUID targetVariantId, String installedSha256) {
      Optional<CompressedArtifact> compressed = compressed(targetVariantId);
      offer(targetVariantId, installedSha256)
          .filter(d -> compressed.isEmpty() || d.getSize() < compressed.get().getSize())
          .ifPresent(model::setDelta);
      compressed.ifPresent(model::setCompressed);
    }
  }

  /**
   * The offers for every device of a batch that gets one of {@code targetVariantIds}, read in two
   * queries: telling 50 devices at a time must not cost a query per device.
   */
  public Lookup offers(Collection<UUID> targetVariantIds) {
    if (targetVariantIds.isEmpty()) {
      return (target, installed) -> Optional.empty();
    }
    Map<String, ArtifactDelta> smallest = new HashMap<>();
    for (VariantDelta d : VariantDelta.keptTo(targetVariantIds)) {
      smallest.putIfAbsent(
          d.targetVariantId + "/" + d.baseSha256.strip(),
          ArtifactDelta.newBuilder()
              .setBaseSha256(d.baseSha256.strip())
              .setBaseSize(d.baseSize)
              .setSha256(d.deltaSha256.strip())
              .setSize(d.deltaSize)
              .build());
    }
    Map<UUID, CompressedArtifact> compressed = new HashMap<>();
    for (VariantCompression c : VariantCompression.keptFor(targetVariantIds)) {
      compressed.put(
          c.variantId,
          CompressedArtifact.newBuilder()
              .setEncoding(c.encoding)
              .setSha256(c.compressedSha256.strip())
              .setSize(c.compressedSize)
              .build());
    }
    return new Lookup() {
      @Override
      public Optional<ArtifactDelta> offer(UUID target, String installed) {
        return installed == null || installed.isEmpty()
            ? Optional.empty()
            : Optional.ofNullable(smallest.get(target + "/" + installed.strip()));
      }

      @Override
      public Optional<CompressedArtifact> compressed(UUID target) {
        return Optional.ofNullable(compressed.get(target));
      }
    };
  }
}
