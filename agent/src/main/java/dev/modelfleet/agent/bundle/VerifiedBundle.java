package dev.modelfleet.agent.bundle;

import dev.modelfleet.agent.trust.TrustedRoot;
import dev.modelfleet.protocol.agent.v1.BundleIndex;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A bundle whose every entry matched its signed index: this device's desired state (not yet checked
 * against what the device accepted: the deployer does that), the root versions newer than the
 * trusted one, and this device's artifacts staged on disk by sha256.
 *
 * @param root the root the index verified under (the bundle's newest, or the device's own)
 * @param forClass true when {@code desiredState} is the ClassDesiredState of this device's hardware
 *     class (the bundle holds none for the device itself)
 */
public record VerifiedBundle(
    BundleIndex index,
    SignedEnvelope desiredState,
    boolean forClass,
    List<SignedEnvelope> newerRoots,
    TrustedRoot root,
    Map<String, Path> artifacts) {

  public String id() {
    return index.getBundleId();
  }
}
