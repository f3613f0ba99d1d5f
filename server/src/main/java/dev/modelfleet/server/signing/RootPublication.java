package dev.modelfleet.server.signing;

import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.RoleKeys;
import dev.modelfleet.protocol.agent.v1.RootMetadata;
import dev.modelfleet.server.assignment.DesiredStateService;
import dev.modelfleet.server.cluster.ClusterChannels;
import dev.modelfleet.server.model.ManifestSigning;
import dev.modelfleet.server.model.Variant;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Objects;
import org.jboss.logging.Logger;

/**
 * What follows a published root version, in the publishing transaction. Documents signed by keys
 * that the new version no longer lists would be refused by devices, so: rotated targets keys
 * re-sign every stored variant manifest (one targets version up, fresh expiry); rotated targets or
 * director keys re-issue every device's desired state one generation up (embedding the re-signed
 * manifests, signed by the new director). Every replica is told over NOTIFY and sends the new root
 * versions to its connected devices (before any desired state).
 */
@ApplicationScoped
class RootPublication {

  private static final Logger LOG = Logger.getLogger(RootPublication.class);

  private final SigningService signing;
  private final DesiredStateService desiredStates;
  private final ManifestSigning manifestSigning;

  RootPublication(
      SigningService signing, DesiredStateService desiredStates, ManifestSigning manifestSigning) {
    this.signing = signing;
    this.desiredStates = desiredStates;
    this.manifestSigning = manifestSigning;
  }

  void published(RootMetadata previous, RootMetadata next) {
    boolean targetsChanged = !sameKeys(previous, next, Dsse.ROLE_TARGETS);
    boolean directorChanged = !sameKeys(previous, next, Dsse.ROLE_DIRECTOR);
    int manifests = 0;
    if (targetsChanged) {
      for (Variant variant : Variant.<Variant>listAll()) {
        // one targets version up (and a fresh expiry): a device that installed the manifest
        // signed by the old key then refuses a replay of that one as a rollback
        variant.manifest = manifestSigning.resign(variant.manifest);
        manifests++;
      }
      Panache.getEntityManager().flush();
    }
    signing.recordPublicKeys();
    int devices = targetsChanged || directorChanged ? desiredStates.reissueAll() : 0;
    Panache.getEntityManager()
        .createNativeQuery("select pg_notify(?1, ?2)")
        .setParameter(1, ClusterChannels.ROOT_METADATA)
        .setParameter(2, Long.toString(next.getVersion()))
        .getSingleResult();
    LOG.infof(
        "root metadata version %d published; %d manifest(s) re-signed, %d desired state(s)"
            + " re-issued",
        next.getVersion(), manifests, devices);
  }

  private static boolean sameKeys(RootMetadata previous, RootMetadata next, String role) {
    return Objects.equals(keyIds(previous, role), keyIds(next, role));
  }

  private static List<String> keyIds(RootMetadata metadata, String role) {
    return SigningService.role(metadata, role)
        .map(RoleKeys::getKeyIdsList)
        .map(ids -> ids.stream().sorted().toList())
        .orElse(List.of());
  }
}
