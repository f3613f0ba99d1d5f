package dev.modelfleet.server.model;

import dev.modelfleet.server.signing.RootPublished;
import io.quarkus.hibernate.orm.panache.Panache;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Re-signs every stored variant manifest when a published root version replaced the targets keys,
 * in the publishing transaction: devices refuse a manifest signed by a key the root no longer
 * lists.
 */
@ApplicationScoped
class ManifestRotation {

  private static final Logger LOG = Logger.getLogger(ManifestRotation.class);

  private final ManifestSigning signing;

  ManifestRotation(ManifestSigning signing) {
    this.signing = signing;
  }

  void rootPublished(@Observes @Priority(RootPublished.MANIFESTS) RootPublished root) {
    if (!root.targetsChanged()) {
      return;
    }
    int manifests = 0;
    for (Variant variant : Variant.<Variant>listAll()) {
      // one targets version up (and a fresh expiry): a device that installed the manifest
      // signed by the old key then refuses a replay of that one as a rollback
      variant.manifest = signing.resign(variant.manifest);
      manifests++;
    }
    // written before the desired states that embed them are signed
    Panache.getEntityManager().flush();
    LOG.infof(
        "%d variant manifest(s) re-signed for root metadata version %d", manifests, root.version());
  }
}
