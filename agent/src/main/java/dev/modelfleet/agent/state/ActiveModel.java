package dev.modelfleet.agent.state;

/** A model the agent activated, as persisted: enough to find and re-check its file offline. */
public record ActiveModel(
    String model, String version, String variantId, String sha256, long size, long generation) {}
