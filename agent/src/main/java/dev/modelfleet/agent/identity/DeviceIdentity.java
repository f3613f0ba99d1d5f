package dev.modelfleet.agent.identity;

import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.agent.v1.SignedEnvelope;
import java.security.PrivateKey;
import java.util.Map;

/** Who this device is in the fleet, and the root metadata it verified when it enrolled. */
public record DeviceIdentity(
    String deviceId,
    String credential,
    String name,
    Map<String, String> labels,
    PrivateKey privateKey,
    byte[] publicKey,
    SignedEnvelope rootMetadata,
    TrustedRoot trustedRoot) {}
