package dev.modelfleet.server.signing;

import com.google.protobuf.Message;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.server.common.ModelFleetConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;

/**
 * Signs the fleet's documents as DSSE envelopes: variant manifests with the targets keys, desired
 * states with the director keys, each with as many of the role's keys as the current root metadata
 * requires ({@link RootMetadataChain}) and this server holds ({@link SigningKeys}).
 */
// created at start, so its counters are scraped (at 0) before anything was signed
@Startup
@ApplicationScoped
public class Signer {

  private final RootMetadataChain roots;
  private final SigningKeys keys;
  private final ModelFleetConfig config;
  private final MeterRegistry registry;

  Signer(
      RootMetadataChain roots, SigningKeys keys, ModelFleetConfig config, MeterRegistry registry) {
    this.roots = roots;
    this.keys = keys;
    this.config = config;
    this.registry = registry;
    for (String role : new String[] {Dsse.ROLE_TARGETS, Dsse.ROLE_DIRECTOR}) {
      signatures(role);
    }
  }

  /** {@code modelfleet_signing_operations_total{role}}: documents signed, by the role signing. */
  private Counter signatures(String role) {
    return Counter.builder("modelfleet.signing.operations")
        .description("Documents signed (manifests by targets, desired states by director)")
        .tag("role", role)
        .register(registry);
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
    SignedEnvelope signed = Envelopes.sign(payloadType, payload, first(held, needed));
    signatures(roleName).increment();
    return signed;
  }

  private static Map<String, Ed25519PrivateKeyParameters> first(
      Map<String, Ed25519PrivateKeyParameters> held, int count) {
    Map<String, Ed25519PrivateKeyParameters> first = new LinkedHashMap<>();
    held.entrySet().stream().limit(count).forEach(e -> first.put(e.getKey(), e.getValue()));
    return first;
  }
}
