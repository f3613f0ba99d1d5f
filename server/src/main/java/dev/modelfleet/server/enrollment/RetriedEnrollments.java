package dev.modelfleet.server.enrollment;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Secrets;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceAuthenticator;
import dev.modelfleet.server.device.DeviceStatus;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.transaction.Transactional;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * Enroll for a key a device holds already. An agent whose Enroll timed out after the server had
 * committed it (the reply was lost) sends the same request again; it is answered as the first
 * attempt would have been, with the same device and a new credential, so that a lost reply never
 * makes a second device nor uses the token twice. Anything else with that key is refused: a request
 * that does not prove it holds the key, one with another token, and one for a device that has been
 * heard from since it enrolled (whoever sends it holds a working credential already).
 */
@ApplicationScoped
class RetriedEnrollments {

  private static final Logger LOG = Logger.getLogger(RetriedEnrollments.class);

  private final EnrollmentMetrics metrics;
  private final Event<EnrollmentRetried> retried;

  RetriedEnrollments(EnrollmentMetrics metrics, Event<EnrollmentRetried> retried) {
    this.metrics = metrics;
    this.retried = retried;
  }

  /**
   * @param device the key's holder, locked
   */
  @Transactional(Transactional.TxType.MANDATORY)
  EnrollmentService.Enrolled answer(
      Device device,
      EnrollmentService.Application application,
      EnrollmentToken token,
      Instant now) {
    String refusal = refusal(device, application, token);
    if (refusal != null) {
      metrics.refused("key-enrolled");
      throw ApiError.DEVICE_KEY_ENROLLED.exception(refusal);
    }
    // a retry uses no token, but a token revoked or expired meanwhile enrolls nothing more, not
    // even the same device again
    String state = token.state(now);
    if (state.equals("revoked") || state.equals("expired")) {
      metrics.refused(state);
      throw ApiError.ENROLLMENT_DENIED.exception(token.refusal(now));
    }
    // the credential of the lost reply was never seen by anyone: replace it, so that exactly one
    // credential of the device works
    String secret = Secrets.newSecret();
    device.credentialHash = Secrets.hash(secret);
    boolean pending = device.status == DeviceStatus.PENDING;
    metrics.retried(pending);
    LOG.infof(
        "enrollment retried: device %s (enrolled %s with token %s, not heard from since) enrolled"
            + " again with the same key and a verified device_key_proof; answered with the same"
            + " device and a new credential, which replaces the unused one; no token use counted",
        device.id, device.enrolledAt, token.id);
    // the audit log shows every credential that replaced another (docs/security.md)
    retried.fire(
        new EnrollmentRetried(
            device.id, device.name, token.id, application.remoteAddress(), device.enrolledAt, now));
    return new EnrollmentService.Enrolled(
        device.id, DeviceAuthenticator.credential(device.id, secret), device.labels, pending, true);
  }

  private static String refusal(
      Device device, EnrollmentService.Application application, EnrollmentToken token) {
    String enrolled = "device_public_key is enrolled already, as device " + device.id + "; ";
    String whatToDo =
        ": decommission that device (POST /api/v1/devices/"
            + device.id
            + "/decommission) or enroll with a new key pair";
    if (application.keyProof().length == 0) {
      return enrolled
          + "this request carries no device_key_proof, so it cannot be taken for a retry of that"
          + " enrollment"
          + whatToDo;
    }
    if (!DeviceKeys.proves(application)) {
      return enrolled
          + "device_key_proof does not verify with that key for this token and"
          + " certificate_request"
          + whatToDo;
    }
    if (!token.id.equals(device.enrollmentTokenId)) {
      return enrolled + "with another enrollment token" + whatToDo;
    }
    if (!device.mayConnect()) {
      return enrolled + "an operator rejected it: enroll with a new key pair, and be approved";
    }
    if (device.contactedSinceEnrollment()) {
      return enrolled
          + "it has connected since (last seen "
          + device.lastSeenAt
          + "), so this is no retry of a lost reply"
          + whatToDo;
    }
    return null;
  }
}
