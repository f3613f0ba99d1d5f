package dev.modelfleet.agent.deploy;

import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Writes deployment events as lines an operator reads on the device's console or journal. */
final class DeploymentLog implements ProgressListener {

  private static final Logger LOG = Logger.getLogger("modelfleet.deploy");

  @Override
  public void onProgress(DeploymentProgress p) {
    if (p.getState() == DeploymentState.DEPLOYMENT_STATE_DOWNLOADING
        && p.getBytesDone() != 0
        && p.getBytesDone() != p.getBytesTotal()) {
      LOG.fine(() -> describe(p));
      return;
    }
    LOG.log(
        p.getState() == DeploymentState.DEPLOYMENT_STATE_FAILED ? Level.WARNING : Level.INFO,
        describe(p));
  }

  static String describe(DeploymentProgress p) {
    String state = p.getState().name().replace("DEPLOYMENT_STATE_", "");
    StringBuilder line = new StringBuilder();
    if (p.getModel().isEmpty()) {
      line.append("desired state");
    } else {
      line.append("model ").append(p.getModel()).append(' ').append(p.getVersion());
    }
    if (p.getGeneration() > 0) {
      line.append(" (generation ").append(p.getGeneration()).append(')');
    }
    line.append(' ').append(state);
    if (p.getBytesTotal() > 0 && p.getState() == DeploymentState.DEPLOYMENT_STATE_DOWNLOADING) {
      line.append(' ')
          .append(p.getBytesDone())
          .append('/')
          .append(p.getBytesTotal())
          .append(" bytes");
    }
    if (!p.getReasonCode().isEmpty()) {
      line.append(" [").append(p.getReasonCode()).append("] ").append(p.getReason());
    }
    return line.toString();
  }
}
