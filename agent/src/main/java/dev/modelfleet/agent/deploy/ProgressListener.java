package dev.modelfleet.agent.deploy;

import dev.modelfleet.protocol.agent.v1.DeploymentProgress;

/** Receives every change of a model's deployment state (sent to the server over Sync). */
@FunctionalInterface
public interface ProgressListener {
  void onProgress(DeploymentProgress progress);
}
