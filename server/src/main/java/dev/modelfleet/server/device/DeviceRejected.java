package dev.modelfleet.server.device;

import java.util.UUID;

/** Fired inside the transaction that rejects a pending device; observers act after commit. */
public record DeviceRejected(UUID deviceId) {}
