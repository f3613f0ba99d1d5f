package dev.modelfleet.agent.session;

import java.util.logging.Logger;

/**
 * Whether an operator has yet to approve this device, as each session's config says. A device
 * waiting for approval keeps its session open and reports; the wait is logged once however often
 * the session reconnects meanwhile, and its end once.
 */
final class ApprovalWait {

  private static final Logger LOG = Logger.getLogger("modelfleet.sync");

  private volatile boolean awaiting;

  void note(boolean awaitingNow) {
    if (awaitingNow && !awaiting) {
      LOG.warning(
          "waiting for an operator to approve this device (POST"
              + " /api/v1/devices/<device id>/approve); it keeps syncing and reporting, and receives"
              + " models once approved");
    } else if (!awaitingNow && awaiting) {
      LOG.info("an operator approved this device; it now receives its desired state");
    }
    awaiting = awaitingNow;
  }
}
