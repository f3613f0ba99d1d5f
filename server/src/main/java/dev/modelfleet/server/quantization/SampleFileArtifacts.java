package dev.modelfleet.server.quantization;

import dev.modelfleet.server.artifact.ArtifactReferences;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * An uploaded sample file (.npy/.npz) stays while a derivation job names it, so a job resumed after
 * a restart, or read again later, still finds its samples; one no job names goes after the
 * collector's grace period, like any other unreferenced upload.
 */
@ApplicationScoped
class SampleFileArtifacts implements ArtifactReferences {

  @Override
  public String namedArtifactsQuery() {
    return "select validation ->> 'samplesFile' from derivation_jobs"
        + " union all select calibration ->> 'samplesFile' from derivation_jobs";
  }
}
