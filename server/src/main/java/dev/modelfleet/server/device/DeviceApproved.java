package dev.modelfleet.server.device;

import java.util.UUID;

/** Fired inside the transaction that approves a pending device; observers act after commit. */
public record DeviceApproved(UUID deviceId) {}
