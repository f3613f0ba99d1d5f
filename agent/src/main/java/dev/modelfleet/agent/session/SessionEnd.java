package dev.modelfleet.agent.session;

/**
 * Why a session with the control plane ended, as far as the device must act on it: whether another
 * session may help, and the transport's own words for the log.
 *
 * @param detail what the transport said, e.g. "UNAVAILABLE: io exception"
 */
public record SessionEnd(Reason reason, String detail) {

  public enum Reason {
    /** The connection dropped or the server went away: open a new session after a back-off. */
    RETRY,
    /** The server does not know this device's credential any more (decommissioned). */
    UNAUTHENTICATED,
    /** An operator rejected this device. */
    REJECTED,
    /** Another process with this device's identity took the session over. */
    REPLACED
  }

  public static SessionEnd retry(String detail) {
    return new SessionEnd(Reason.RETRY, detail);
  }
}
