package dev.modelfleet.agent.deploy;

import dev.modelfleet.protocol.agent.v1.DesiredModel;

/**
 * Takes the desired-state entries that are not models to serve (the agent's own releases): the
 * deployer hands them over instead of loading them, after the models, so that a restart into a new
 * release interrupts no model's deployment.
 */
public interface ReleaseHandler {

  boolean handles(DesiredModel entry);

  void apply(DesiredModel entry, long generation) throws InterruptedException;
}
