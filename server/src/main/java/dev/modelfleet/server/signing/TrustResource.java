package dev.modelfleet.server.signing;

import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.common.ApiError;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The fleet's trust anchor and its history, for operators configuring agents. Reads only. */
@Path("/api/v1/trust")
public class TrustResource {

  private final RootMetadataChain roots;
  private final RootRotation rotation;
  private final Clock clock;

  TrustResource(RootMetadataChain roots, RootRotation rotation, Clock clock) {
    this.roots = roots;
    this.rotation = rotation;
    this.clock = clock;
  }

  public record KeyView(String keyId, String algorithm, String publicKeyPem) {}

  public record RoleView(String role, List<String> keyIds, int threshold) {}

  public record VersionView(
      long version, Instant expiresAt, List<String> signedBy, String signedEnvelopeBase64) {}

  public record RootView(
      long version,
      Instant expiresAt,
      List<KeyView> keys,
      List<RoleView> roles,
      String rootPublicKeyPem,
      String rootKeysPem,
      String signedEnvelopeBase64,
      boolean rootKeyOnline,
      Instant renewAfter,
      List<String> warnings,
      List<VersionView> history) {}

  public record DraftView(
      long version,
      String payloadType,
      String payloadBase64,
      String payloadSha256,
      Instant expiresAt,
      List<KeyView> keys,
      List<RoleView> roles,
      RootRotation.Threshold previousRoot,
      RootRotation.Threshold newRoot,
      boolean published) {

    public static DraftView of(RootRotation.Draft draft) {
      RootMetadata metadata = draft.metadata();
      return new DraftView(
          draft.version(),
          draft.payloadType(),
          draft.payloadBase64(),
          draft.payloadSha256(),
          Instant.ofEpochMilli(metadata.getExpiresAtMs()),
          TrustResource.keys(metadata),
          TrustResource.roles(metadata),
          draft.previousRoot(),
          draft.newRoot(),
          draft.published());
    }
  }

  /** The current root metadata and every earlier version (oldest first). */
  @Operation(summary = "The root metadata of the fleet, as agents pin it")
  @GET
  @Path("/root")
  @Produces(MediaType.APPLICATION_JSON)
  public RootView root() {
    List<SignedEnvelope> chain = roots.rootChain();
    SignedEnvelope envelope = chain.get(chain.size() - 1);
    RootMetadata metadata = RootChainFiles.metadata(envelope);
    boolean online = roots.rootKeyOnline();
    Instant renewAfter = roots.renewAfter(metadata);
    Instant expires = Instant.ofEpochMilli(metadata.getExpiresAtMs());
    List<String> warnings = new ArrayList<>();
    if (!online && !clock.instant().isBefore(renewAfter)) {
      warnings.add(
          "root metadata version "
              + metadata.getVersion()
              + " expires at "
              + expires
              + " and the root key is offline: sign a new version offline before then"
              + " (POST /api/v1/trust/root/drafts).");
    }
    List<VersionView> history =
        chain.stream()
            .map(
                version ->
                    new VersionView(
                        RootChainFiles.version(version),
                        Instant.ofEpochMilli(RootChainFiles.metadata(version).getExpiresAtMs()),
                        version.getSignaturesList().stream().map(s -> s.getKeyId()).toList(),
                        Base64.getEncoder().encodeToString(version.toByteArray())))
            .toList();
    return new RootView(
        metadata.getVersion(),
        expires,
        keys(metadata),
        roles(metadata),
        Ed25519Keys.publicKeyPem(roots.rootPublicKey()),
        rootPem(),
        Base64.getEncoder().encodeToString(envelope.toByteArray()),
        online,
        renewAfter,
        warnings,
        history);
  }

  /**
   * What an agent is configured with as its pin: every root key (SubjectPublicKeyInfo PEM), and
   * with several the root threshold ({@link RootMetadataChain#rootPinPem}).
   */
  @Operation(summary = "The root public keys as PEM")
  @GET
  @Path("/root.pem")
  @Produces("application/x-pem-file")
  public String rootPem() {
    return roots.rootPinPem();
  }

  /** The draft of the next root version: what to sign, and which signatures it still needs. */
  @Operation(summary = "The root draft waiting for signatures")
  @GET
  @Path("/root/draft")
  @Produces(MediaType.APPLICATION_JSON)
  public DraftView draft() {
    return rotation
        .currentDraft()
        .map(DraftView::of)
        .orElseThrow(
            () ->
                ApiError.NOT_FOUND.exception(
                    "There is no root draft; make one with POST /api/v1/trust/root/drafts."));
  }

  static List<KeyView> keys(RootMetadata metadata) {
    return metadata.getKeysList().stream()
        .map(
            k ->
                new KeyView(
                    k.getKeyId(),
                    k.getAlgorithm(),
                    Ed25519Keys.publicKeyPem(k.getPublicKey().toByteArray())))
        .toList();
  }

  static List<RoleView> roles(RootMetadata metadata) {
    return metadata.getRolesList().stream()
        .map(r -> new RoleView(r.getRole(), r.getKeyIdsList(), r.getThreshold()))
        .toList();
  }
}
