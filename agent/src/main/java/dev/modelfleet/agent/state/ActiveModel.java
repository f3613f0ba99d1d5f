package dev.modelfleet.agent.state;

/**
 * A model the agent activated, as persisted: enough to find and re-check its file offline and to
 * load it again on its variant's execution provider (null in states written before providers were
 * recorded: the CPU). {@code targetsVersion} is the version of the variant's signed manifest last
 * accepted for it (0 in states written before manifest versions): a manifest of the same variant
 * with a lower version is a rollback and is refused.
 */
public record ActiveModel(
    String model,
    String version,
    String variantId,
    String sha256,
    long size,
    long generation,
    String executionProvider,
    long targetsVersion) {}
