package dev.modelfleet.server.trial;

import dev.modelfleet.protocol.agent.v1.TrialRequest;
import java.util.UUID;

/** Fired inside the transaction that records a trial; sent to the device after commit. */
record TrialRequested(UUID deviceId, TrialRequest request) {}
