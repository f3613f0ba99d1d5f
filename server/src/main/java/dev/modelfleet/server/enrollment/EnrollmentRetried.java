package dev.modelfleet.server.enrollment;

import java.time.Instant;
import java.util.UUID;

/**
 * Fired inside the transaction that answers a retried enrollment ({@link RetriedEnrollments}): the
 * device got a new credential, which replaces the one of the lost reply. Observers act after commit
 * (the audit log records it).
 *
 * @param remoteAddress where the request came from, as the server saw it; null when unknown
 * @param enrolledAt when the device first enrolled
 */
public record EnrollmentRetried(
    UUID deviceId,
    String deviceName,
    UUID enrollmentTokenId,
    String remoteAddress,
    Instant enrolledAt,
    Instant at) {}
