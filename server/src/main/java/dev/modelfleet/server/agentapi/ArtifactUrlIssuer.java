package dev.modelfleet.server.agentapi;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.ArtifactUrl;
import dev.modelfleet.protocol.agent.v1.ArtifactUrlRequest;
import dev.modelfleet.protocol.agent.v1.ArtifactUrls;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import dev.modelfleet.server.artifact.ArtifactAccess;
import dev.modelfleet.server.artifact.ArtifactStore;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * Presigned download addresses for a device (object storage only): for every artifact of a desired
 * state just before it is sent, and for those a device asks again for, under the same access rule
 * as every download. A store on the server's disk has none to give, and nothing is sent.
 */
@ApplicationScoped
class ArtifactUrlIssuer {

  /** More than any desired state names; bounds what one request can make the server sign. */
  static final int MAX_PER_REQUEST = 32;

  private static final Logger LOG = Logger.getLogger(ArtifactUrlIssuer.class);

  private final ArtifactStore store;
  private final ArtifactAccess access;

  ArtifactUrlIssuer(ArtifactStore store, ArtifactAccess access) {
    this.store = store;
    this.access = access;
  }

  /**
   * Addresses for the artifacts (deltas, compressed copies) a desired state names, to send just
   * before it.
   */
  Optional<ServerMessage> forDesiredState(DesiredState state) {
    Set<String> shas = new LinkedHashSet<>();
    for (DesiredModel model : state.getModelsList()) {
      try {
        shas.add(VariantManifest.parseFrom(model.getManifest().getPayload()).getSha256());
        if (model.hasShadow()) {
          shas.add(
              VariantManifest.parseFrom(model.getShadow().getManifest().getPayload()).getSha256());
        }
      } catch (InvalidProtocolBufferException e) {
        // a manifest signed here always parses; without its address the agent uses the server
      }
      if (model.hasDelta()) {
        shas.add(model.getDelta().getSha256());
      }
      if (model.hasCompressed()) {
        shas.add(model.getCompressed().getSha256());
      }
    }
    return message(shas);
  }

  /** Fresh addresses for what the device asked, limited to what it may fetch. */
  Optional<ServerMessage> forRequest(UUID deviceId, ArtifactUrlRequest request) {
    Set<String> shas = new LinkedHashSet<>();
    for (String sha256 : request.getSha256List()) {
      if (shas.size() >= MAX_PER_REQUEST) {
        break;
      }
      if (Dsse.isSha256Hex(sha256) && access.mayFetch(deviceId, sha256)) {
        shas.add(sha256);
      }
    }
    return message(shas);
  }

  private Optional<ServerMessage> message(Set<String> shas) {
    ArtifactUrls.Builder urls = ArtifactUrls.newBuilder();
    for (String sha256 : shas) {
      try {
        store
            .directUrl(sha256)
            .ifPresent(
                url ->
                    urls.addUrls(
                        ArtifactUrl.newBuilder()
                            .setSha256(sha256)
                            .setUrl(url.url().toString())
                            .setExpiresAtMs(url.expiresAtMs())));
      } catch (RuntimeException e) {
        // without an address the agent downloads through the server, which says what failed
        LOG.debugf("no presigned URL for %s: %s", sha256, e.getMessage());
      }
    }
    return urls.getUrlsCount() == 0
        ? Optional.empty()
        : Optional.of(ServerMessage.newBuilder().setArtifactUrls(urls).build());
  }
}
