package dev.modelfleet.server.signing;

import dev.modelfleet.server.access.AdminOnly;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.signing.TrustResource.DraftView;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

/**
 * Changing the fleet's root of trust: admins only (writes under /api/v1/trust by path before
 * routing, and this class after it, see AccessPolicy). A thin adapter over {@link RootRotation}.
 */
@AdminOnly
@Path("/api/v1/trust")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class TrustAdminResource {

  private final RootRotation rotation;

  TrustAdminResource(RootRotation rotation) {
    this.rotation = rotation;
  }

  /** Which roles get a new online key, new offline root keys, thresholds, lifetime. */
  public record RotationRequest(
      List<String> rotate,
      List<String> rootKeys,
      Map<String, Integer> thresholds,
      Integer expiresInDays) {

    RootRotation.Proposal proposal() {
      return new RootRotation.Proposal(rotate, rootKeys, thresholds, expiresInDays);
    }
  }

  public record SignatureUpload(Long version, String keyId, String signature) {}

  /** Rotates with the root key this server holds and publishes the new version at once. */
  @Operation(summary = "Rotate the root with the online root key")
  @POST
  @Path("/root/rotate")
  public DraftView rotate(RotationRequest request) {
    return DraftView.of(rotation.rotate(orEmpty(request).proposal()));
  }

  /** Makes (or replaces) the draft of the next root version, to be signed offline. */
  @Operation(summary = "Start a root draft for offline signing")
  @POST
  @Path("/root/drafts")
  public DraftView draft(RotationRequest request) {
    return DraftView.of(rotation.draft(orEmpty(request).proposal()));
  }

  /** Adds a signature; the draft is published once the old and new root thresholds are met. */
  @Operation(summary = "Add an offline signature to the root draft")
  @POST
  @Path("/root/draft/signatures")
  public DraftView sign(SignatureUpload upload) {
    if (upload == null) {
      throw ApiError.INVALID_REQUEST.exception("Send {\"keyId\": ..., \"signature\": <base64>}.");
    }
    return DraftView.of(
        rotation.addSignature(upload.version(), upload.keyId(), upload.signature()));
  }

  @Operation(summary = "Discard the root draft")
  @APIResponse(responseCode = "204", description = "Discarded, or there was none")
  @DELETE
  @Path("/root/draft")
  public void discard() {
    rotation.discardDraft();
  }

  private static RotationRequest orEmpty(RotationRequest request) {
    return request == null ? new RotationRequest(null, null, null, null) : request;
  }
}
