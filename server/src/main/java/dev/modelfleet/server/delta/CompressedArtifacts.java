package dev.modelfleet.server.delta;

import dev.modelfleet.server.artifact.ArtifactReferences;
import jakarta.enterprise.context.ApplicationScoped;

/** A kept compressed copy keeps its bytes for as long as its variant exists. */
@ApplicationScoped
class CompressedArtifacts implements ArtifactReferences {

  @Override
  public String namedArtifactsQuery() {
    return "select compressed_sha256 from variant_compressions where kept";
  }
}
