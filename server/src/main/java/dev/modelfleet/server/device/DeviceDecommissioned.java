package dev.modelfleet.server.device;

import java.util.UUID;

/** Fired inside the transaction that decommissions a device; observers act after commit. */
public record DeviceDecommissioned(UUID deviceId) {}
