package dev.modelfleet.server.delta;

import dev.modelfleet.protocol.agent.v1.ArtifactDelta;
import jakarta.enterprise.context.ApplicationScoped;
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
}
