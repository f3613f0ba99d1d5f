package dev.modelfleet.server.enrollment;

import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.Secrets;
import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceActivityService;
import dev.modelfleet.server.device.DeviceAuthenticator;
import dev.modelfleet.server.device.DeviceStatus;
import dev.modelfleet.server.hardware.HardwareInfo;
import dev.modelfleet.server.signing.Ed25519Keys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/** Turns an enrollment token and a device key into an enrolled device with a credential. */
@ApplicationScoped
public class EnrollmentService {

  private final Clock clock;
  private final DeviceActivityService activity;
  private final EnrollmentLimits settings;
  private final EnrollmentMetrics metrics;
  private final RetriedEnrollments retries;

  EnrollmentService(
      Clock clock,
      DeviceActivityService activity,
      EnrollmentLimits settings,
      EnrollmentMetrics metrics,
      RetriedEnrollments retries) {
    this.clock = clock;
    this.activity = activity;
    this.settings = settings;
    this.metrics = metrics;
    this.retries = retries;
  }

  /**
   * What a device sends to enroll. {@code keyProof} and {@code certificateRequest} are empty when
   * not sent (an agent from before the proof; a server without mutual TLS). {@code remoteAddress}:
   * where it came from, for the audit log; null when unknown.
   */
  public record Application(
      String tokenSecret,
      byte[] publicKey,
      byte[] keyProof,
      byte[] certificateRequest,
      String requestedName,
      HardwareInfo hardware,
      BenchmarkInfo benchmark,
      String remoteAddress) {}

  /**
   * @param retried whether this answered a retry of an enrollment already committed (the same
   *     device, a new credential) rather than enrolling a new device
   */
  public record Enrolled(
      UUID deviceId,
      String credential,
      Map<String, String> labels,
      boolean awaitingApproval,
      boolean retried) {}

  @Transactional
  public Enrolled enroll(Application application) {
    String tokenSecret = application.tokenSecret();
    if (tokenSecret == null || tokenSecret.isBlank()) {
      metrics.refused("missing-token");
      throw ApiError.INVALID_REQUEST.exception("enrollment_token is required");
    }
    byte[] publicKey = application.publicKey();
    try {
      Ed25519Keys.parsePublicKey(publicKey);
    } catch (IllegalArgumentException e) {
      metrics.refused("invalid-public-key");
      throw ApiError.INVALID_PUBLIC_KEY.exception(
          "device_public_key must be an Ed25519 key in SubjectPublicKeyInfo DER: "
              + e.getMessage());
    }
    if (application.keyProof().length == 0 && settings.requireKeyProof()) {
      metrics.refused("missing-key-proof");
      throw ApiError.INVALID_REQUEST.exception(
          "device_key_proof is required: this server enrolls only agents that prove they hold"
              + " their device key (modelfleet.enrollment.require-key-proof). Upgrade the agent to"
              + " a release that sends device_key_proof (EnrollRequest field 9) and start it again:"
              + " its key pair and the enrollment token stay valid, this refusal used none of the"
              + " token");
    }
    EnrollmentToken token =
        EnrollmentToken.<EnrollmentToken>find("secretHash", Secrets.hash(tokenSecret))
            .firstResultOptional()
            .orElseThrow(
                () -> {
                  metrics.refused("unknown-token");
                  return ApiError.ENROLLMENT_DENIED.exception("unknown enrollment token");
                });
    Instant now = clock.instant();
    // One device per key: a second attempt with this key waits here until the first commits or
    // rolls back, then finds its device and is answered as a retry (or refused).
    Device enrolled = DeviceKeys.holder(publicKey);
    if (enrolled != null) {
      return retries.answer(enrolled, application, token, now);
    }
    if (application.keyProof().length > 0 && !DeviceKeys.proves(application)) {
      metrics.refused("invalid-key-proof");
      throw ApiError.INVALID_SIGNATURE.exception(
          "device_key_proof does not verify with device_public_key over the enrollment proof"
              + " bytes (dev.modelfleet.protocol.EnrollmentProof); a bug in the agent");
    }
    refuseUnlessUsable(token, now);

    String secret = Secrets.newSecret();
    Device device = new Device();
    device.id = UUID.randomUUID();
    device.name = name(application.requestedName(), application.hardware(), device.id);
    device.labels = new TreeMap<>(token.labels);
    device.status =
        token.requireApproval || settings.requireApproval()
            ? DeviceStatus.PENDING
            : DeviceStatus.ACTIVE;
    device.publicKey = publicKey.clone();
    device.credentialHash = Secrets.hash(secret);
    activity.recordHardware(device, application.hardware(), application.benchmark());
    device.installed = List.of();
    device.enrollmentTokenId = token.id;
    device.enrolledAt = now;
    // equal to enrolledAt until the device first makes contact (see
    // Device#contactedSinceEnrollment)
    device.lastSeenAt = now;
    device.persist();
    claimUse(token, now);
    metrics.enrolled(device.status == DeviceStatus.PENDING, application.keyProof().length > 0);
    return new Enrolled(
        device.id,
        DeviceAuthenticator.credential(device.id, secret),
        device.labels,
        device.status == DeviceStatus.PENDING,
        false);
  }

  private void refuseUnlessUsable(EnrollmentToken token, Instant now) {
    String refusal = token.refusal(now);
    if (refusal != null) {
      metrics.refused(token.state(now));
      throw ApiError.ENROLLMENT_DENIED.exception(refusal);
    }
  }

  /**
   * Counts this enrollment against the token, last thing before commit. The conditional update
   * keeps uses from overshooting maxUses; taken last, its row lock is held only until the commit,
   * not through the device's insert, so a factory enrolling thousands of devices with one token is
   * not serialized on that row (it was: 27 enrollments/s). Refused when another enrollment took the
   * last use (or the token was revoked) since it was read: the device row is rolled back.
   */
  private void claimUse(EnrollmentToken token, Instant now) {
    EnrollmentToken.getEntityManager().flush();
    // Enrollments with one token still queue on its row, each until the one before commits; a
    // commit that waits for the WAL to reach disk (5-20 ms here) capped one token at ~50 devices/s.
    // Not waiting for it risks little: only a crash of PostgreSQL or its machine within the WAL
    // writer's delay (200 ms by default) can lose an enrollment, and then together with its
    // counted use, so the token still admits that device; it is told its credential is unknown and
    // is enrolled again (docs/operations.md).
    EnrollmentToken.getEntityManager()
        .createNativeQuery("set local synchronous_commit = off")
        .executeUpdate();
    int claimed =
        EnrollmentToken.update(
            "uses = uses + 1 where id = ?1 and uses < maxUses and revokedAt is null"
                + " and expiresAt > ?2",
            token.id,
            now);
    if (claimed == 0) {
      EnrollmentToken.getEntityManager().refresh(token);
      refuseUnlessUsable(token, now);
      // usable again by the figures read now (an operator raised its uses meanwhile): refuse
      // rather than enroll uncounted; the device retries
      throw ApiError.ENROLLMENT_DENIED.exception("the enrollment token cannot enroll more devices");
    }
  }

  private static String name(String requested, HardwareInfo hardware, UUID id) {
    String name = requested;
    if (name == null || name.isBlank()) {
      name = hardware == null ? "" : hardware.hostname();
    }
    if (name == null || name.isBlank()) {
      return "device-" + id.toString().substring(0, 8);
    }
    return name.length() > 200 ? name.substring(0, 200) : name;
  }
}
