package dev.modelfleet.server.model;

import dev.modelfleet.server.artifact.ArtifactReferences;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A variant keeps its bytes for as long as it exists, revoked versions' too: devices may still run
 * them or be rolled back to them.
 */
@ApplicationScoped
class VariantArtifacts implements ArtifactReferences {

  @Override
  public String namedArtifactsQuery() {
    return "select artifact_sha256 from variants";
  }
}
