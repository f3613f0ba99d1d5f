package dev.modelfleet.server.rollout;

import dev.modelfleet.server.artifact.ArtifactReferences;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * A shadow phase's validation set (an uploaded sample file) stays while a rollout's plan names it
 * or a device's desired state still sends it, so a device told to shadow can always fetch it.
 */
@ApplicationScoped
class ShadowValidationArtifacts implements ArtifactReferences {

  @Override
  public String namedArtifactsQuery() {
    return "select plan -> 'shadow' ->> 'validationSet' from rollouts"
        + " union all select shadow_validation_sha256 from desired_models";
  }
}
