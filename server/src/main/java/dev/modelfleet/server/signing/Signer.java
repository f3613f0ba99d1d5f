package dev.modelfleet.server.signing;

import com.google.protobuf.Message;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.common.ModelFleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * Signs the fleet's documents as DSSE envelopes: variant manifests with the targets keys, desired
 * states with the director keys, each with as many of the role's keys as the current root metadata
 * requires ({@link RootMetadataChain}) and this server holds ({@link SigningKeys}).
 */
@ApplicationScoped
public class Signer {

  private final RootMetadataChain roots;
  private final SigningKeys keys;
  private final ModelFleetConfig config;

  Signer(RootMetadataChain roots, SigningKeys keys, ModelFleetConfig config) {
    this.roots = roots;
    this.keys = keys;
    this.config = config;
  }

  public SignedEnvelope signWithTargets(String payloadType, Message payload) {
    return signAs(Dsse.ROLE_TARGETS, payloadType, payload.toByteArray());
  }

  /** Desired states: the director role's keys (targets' when root metadata names none). */
  public SignedEnvelope signWithDirector(String payloadType, Message payload) {
    boolean hasDirector = RootRoles.role(roots.currentMetadata(), Dsse.ROLE_DIRECTOR).isPresent();
    return signAs(
        hasDirector ? Dsse.ROLE_DIRECTOR : Dsse.ROLE_TARGETS, payloadType, payload.toByteArray());
  }

  SignedEnvelope signAs(String roleName, String payloadType, byte[] payload) {
    RootMetadata current = roots.currentMetadata();
    RoleKeys role =
        RootRoles.role(current, roleName)
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        "root metadata version "
                            + current.getVersion()
                            + " names no "
                            + roleName
                            + " role"));
    Map<String, Ed25519PrivateKeyParameters> held = keys.held(role.getKeyIdsList());
    int needed = Math.max(1, role.getThreshold());
    if (held.size() < needed) {
      throw new IllegalStateException(
          "the key directory "
              + config.keyDir()
              + " holds "
              + held.size()
              + " of the "
              + needed
              + " "
              + roleName
              + " key(s) root metadata version "
              + current.getVersion()
              + " requires");
    }
    return Envelopes.sign(payloadType, payload, first(held, needed));
  }

  private static Map<String, Ed25519PrivateKeyParameters> first(
      Map<String, Ed25519PrivateKeyParameters> held, int count) {
    Map<String, Ed25519PrivateKeyParameters> first = new LinkedHashMap<>();
    held.entrySet().stream().limit(count).forEach(e -> first.put(e.getKey(), e.getValue()));
    return first;
  }
}
