package dev.modelfleet.server.delta;

import dev.modelfleet.server.artifact.ArtifactReferences;
import jakarta.enterprise.context.ApplicationScoped;

/** A kept delta keeps its bytes for as long as its target variant exists. */
@ApplicationScoped
class DeltaArtifacts implements ArtifactReferences {

  @Override
  public String namedArtifactsQuery() {
    return "select delta_sha256 from variant_deltas where kept";
  }
}
