package dev.modelfleet.server.assignment;

import dev.modelfleet.server.downloadpolicy.DownloadPolicyChanged;
import dev.modelfleet.server.model.ManifestsRenewed;
import dev.modelfleet.server.signing.RootPublished;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Signs desired states again, one generation up, when what they embed or are signed with changed,
 * in the transaction that changed it: renewed manifests (before the old ones expire on devices), a
 * download policy created, changed or deleted (devices enforce the one their document carries), and
 * a root version that replaced the targets or director keys (devices refuse documents signed by
 * keys it no longer lists).
 */
@ApplicationScoped
class DesiredStateReissue {

  private static final Logger LOG = Logger.getLogger(DesiredStateReissue.class);

  private final DesiredStateService desiredStates;

  DesiredStateReissue(DesiredStateService desiredStates) {
    this.desiredStates = desiredStates;
  }

  void manifestsRenewed(@Observes ManifestsRenewed renewed) {
    int devices = desiredStates.reissueForVariants(renewed.variantIds());
    LOG.infof("%d desired state(s) re-issued with renewed manifests", devices);
  }

  void downloadPolicyChanged(@Observes DownloadPolicyChanged change) {
    int devices = desiredStates.reissueForDevices(change.deviceIds());
    LOG.infof("%d desired state(s) re-issued for a changed download policy", devices);
  }

  void rootPublished(@Observes @Priority(RootPublished.DESIRED_STATES) RootPublished root) {
    if (root.targetsChanged() || root.directorChanged()) {
      int devices = desiredStates.reissueAll();
      LOG.infof(
          "%d desired state(s) re-issued for root metadata version %d", devices, root.version());
    }
  }
}
