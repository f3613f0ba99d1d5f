package dev.modelfleet.server.audit;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modelfleet.protocol.agent.v1.AgentServiceGrpc;
import dev.modelfleet.server.enrollment.EnrollmentRetried;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import org.jboss.logging.Logger;

/**
 * Records a retried enrollment in the audit log: it issued a device a new credential that replaced
 * the one of the lost reply, and leaves no other trace in what is stored. Written once the retry
 * committed and before its answer goes out (an observer after success runs before the transaction's
 * method returns), so that a credential a device received is in the log; an entry that cannot be
 * written is logged as lost, as the API's are. A device's first enrollment is not written here: the
 * device row says when it enrolled and with which token.
 *
 * <p>The entry reads as an API call's does: {@code actor} {@code device:<id>} (it proved it holds
 * the device key), role {@code device}, method {@code GRPC} and the gRPC path of Enroll, target the
 * enrollment token's id, {@code resourceId} the device; {@code before} and {@code after} say that
 * the unused credential was replaced. No secret is written.
 */
@ApplicationScoped
class RetriedEnrollmentAudit {

  private static final Logger LOG = Logger.getLogger(RetriedEnrollmentAudit.class);

  static final String ACTOR_PREFIX = "device:";
  static final String ROLE = "device";
  static final String METHOD = "GRPC";
  static final String PATH = "/" + AgentServiceGrpc.getEnrollMethod().getFullMethodName();

  private final AuditLog log;

  RetriedEnrollmentAudit(AuditLog log) {
    this.log = log;
  }

  void record(@Observes(during = TransactionPhase.AFTER_SUCCESS) EnrollmentRetried retried) {
    AuditEntry entry = entry(retried);
    try {
      log.append(entry);
    } catch (RuntimeException e) {
      LOG.errorf(e, "audit entry lost: %s", entry);
    }
  }

  static AuditEntry entry(EnrollmentRetried retried) {
    JsonNodeFactory json = JsonNodeFactory.instance;
    ObjectNode body = json.objectNode();
    body.put("retry", true);
    body.put("enrollmentTokenId", retried.enrollmentTokenId().toString());
    body.put("enrolledAt", retried.enrolledAt().toString());
    ObjectNode before = device(retried);
    before.put("credential", "unused: sent only in the reply the device did not receive");
    ObjectNode after = device(retried);
    after.put("credential", "new: replaces the unused one, which no longer works");
    return new AuditEntry(
        null,
        retried.at(),
        ACTOR_PREFIX + retried.deviceId(),
        ROLE,
        retried.remoteAddress(),
        METHOD,
        PATH,
        200,
        "enrollmentTokenId=" + retried.enrollmentTokenId(),
        retried.deviceId().toString(),
        body,
        AuditEntry.outcome(200),
        before,
        after,
        1);
  }

  private static ObjectNode device(EnrollmentRetried retried) {
    ObjectNode device = JsonNodeFactory.instance.objectNode();
    device.put("id", retried.deviceId().toString());
    device.put("name", retried.deviceName());
    return device;
  }
}
