package dev.modelfleet.server.signing;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.agent.v1.RootMetadata;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/** The fleet's trust anchor, for operators configuring agents. */
@Path("/api/v1/trust")
public class TrustResource {

  private final SigningService signing;

  TrustResource(SigningService signing) {
    this.signing = signing;
  }

  public record KeyView(String keyId, String algorithm, String publicKeyPem) {}

  public record RoleView(String role, List<String> keyIds, int threshold) {}

  public record RootView(
      long version,
      Instant expiresAt,
      List<KeyView> keys,
      List<RoleView> roles,
      String rootPublicKeyPem,
      String signedEnvelopeBase64) {}

  @GET
  @Path("/root")
  @Produces(MediaType.APPLICATION_JSON)
  public RootView root() throws InvalidProtocolBufferException {
    var envelope = signing.rootMetadata();
    RootMetadata metadata = RootMetadata.parseFrom(envelope.getPayload());
    return new RootView(
        metadata.getVersion(),
        Instant.ofEpochMilli(metadata.getExpiresAtMs()),
        metadata.getKeysList().stream()
            .map(k -> new KeyView(k.getKeyId(), k.getAlgorithm(),
                Ed25519Keys.publicKeyPem(k.getPublicKey().toByteArray())))
            .toList(),
        metadata.getRolesList().stream()
            .map(r -> new RoleView(r.getRole(), r.getKeyIdsList(), r.getThreshold()))
            .toList(),
        rootPem(),
        Base64.getEncoder().encodeToString(envelope.toByteArray()));
  }

  /** The SubjectPublicKeyInfo PEM an agent is configured with as its pinned root key. */
  @GET
  @Path("/root.pem")
  @Produces("application/x-pem-file")
  public String rootPem() {
    return Ed25519Keys.publicKeyPem(signing.rootPublicKey());
  }
}
