package dev.modelfleet.server.downloadpolicy;

import java.util.Set;
import java.util.UUID;

/**
 * A download policy was created, changed or deleted, in the transaction that did it: the devices it
 * bound before or binds now need their desired state signed again, with the policy that now
 * applies.
 */
public record DownloadPolicyChanged(Set<UUID> deviceIds) {}
