package dev.modelfleet.server.quantization;

import dev.modelfleet.server.artifact.ArtifactReferences;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A rejected variant's file stays while its row names it, that is until its retention passed and
 * {@link RejectedVariants} released it; then the collector removes it like any unnamed artifact.
 */
@ApplicationScoped
class RejectedVariantArtifacts implements ArtifactReferences {

  @Override
  public String namedArtifactsQuery() {
    return "select artifact_sha256 from derived_variants";
  }
}
