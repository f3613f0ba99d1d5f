package dev.modelfleet.server.delta;

import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The delta a device is offered for a variant: a kept one whose base is the artifact the device
 * last reported holding for that model. Read inside the caller's transaction.
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

  /** Answers {@link #offer} for the variants a batch of devices gets. */
  public interface Lookup {
    Optional<ArtifactDelta> offer(UUID targetVariantId, String installedSha256);
  }

  /**
   * The offers for every device of a batch that gets one of {@code targetVariantIds}, read in one
   * query: telling 50 devices at a time must not cost a query per device.
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
    return (target, installed) ->
        installed == null || installed.isEmpty()
            ? Optional.empty()
            : Optional.ofNullable(smallest.get(target + "/" + installed.strip()));
  }
}
