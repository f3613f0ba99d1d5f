package dev.modelfleet.server.model;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.common.ModelFleetConfig;
import dev.modelfleet.server.signing.Signer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Clock;
import java.time.Instant;

/**
 * Signs variant manifests as TUF signs targets metadata: with a version that only grows and an
 * expiry ({@code modelfleet.manifest-ttl}). Agents refuse an expired manifest and an older version
 * of the manifest they installed, so every re-signing counts one version up.
 */
@ApplicationScoped
public class ManifestSigning {

  private final Signer signing;
  private final ModelFleetConfig config;
  private final Clock clock;

  ManifestSigning(Signer signing, ModelFleetConfig config, Clock clock) {
    this.signing = signing;
    this.config = config;
    this.clock = clock;
  }

  /** A new variant's manifest: targets version 1. */
  byte[] signFirst(VariantManifest manifest) {
    return sign(manifest.toBuilder().setTargetsVersion(1));
  }

  /**
   * The stored manifest re-signed by the current targets keys, one version up, with a fresh expiry.
   * A manifest from before versions (0) becomes version 1.
   */
  public byte[] resign(byte[] stored) {
    VariantManifest manifest = payload(stored);
    return sign(manifest.toBuilder().setTargetsVersion(manifest.getTargetsVersion() + 1));
  }

  /**
   * Past half its lifetime, or without an expiry (signed before manifests had one): re-signing then
   * leaves agents half a lifetime to receive it before the old one expires.
   */
  public boolean renewalDue(byte[] stored) {
    long expires = payload(stored).getExpiresAtMs();
    return expires == 0
        || !clock
            .instant()
            .isBefore(Instant.ofEpochMilli(expires).minus(config.manifestTtl().dividedBy(2)));
  }

  private byte[] sign(VariantManifest.Builder manifest) {
    manifest.setExpiresAtMs(clock.instant().plus(config.manifestTtl()).toEpochMilli());
    return signing.signWithTargets(Dsse.VARIANT_MANIFEST_TYPE, manifest.build()).toByteArray();
  }

  public static VariantManifest payload(byte[] stored) {
    try {
      return VariantManifest.parseFrom(SignedEnvelope.parseFrom(stored).getPayload());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a stored manifest is corrupt", e);
    }
  }
}
