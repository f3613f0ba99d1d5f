package dev.modelfleet.agent.identity;

import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.security.PrivateKey;
import java.util.Map;

/** Who this device is in the fleet, and the chain of root metadata it trusts. */
public record DeviceIdentity(
    String deviceId,
    String credential,
    String name,
    Map<String, String> labels,
    PrivateKey privateKey,
    byte[] publicKey,
    SignedEnvelope rootMetadata,
    RootChain roots) {

  /** The root metadata trusted now (it moves on with every accepted root update). */
  public TrustedRoot trustedRoot() {
    return roots.current();
  }
}
