package dev.modelfleet.server.enrollment;

import dev.modelfleet.protocol.EnrollmentProof;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceLocks;
import dev.modelfleet.server.signing.Ed25519Keys;
import io.quarkus.hibernate.orm.panache.Panache;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * Device public keys at enrollment: one device per key (besides decommissioned ones, whose key may
 * enroll again), and whether a request proves it holds the key's private half.
 */
final class DeviceKeys {

  private DeviceKeys() {}

  /**
   * Serializes enrollments of one key until the transaction ends. The unique index on the keys of
   * devices not decommissioned (V31) would refuse the second of two concurrent attempts anyway;
   * waiting here instead lets it see the first one's device and be answered as its retry.
   */
  static void lock(byte[] publicKey) {
    Panache.getEntityManager()
        .createNativeQuery("select pg_advisory_xact_lock(hashtext(?1))")
        .setParameter(1, "device-key:" + Base64.getEncoder().encodeToString(publicKey))
        .getSingleResult();
  }

  /**
   * The device, not decommissioned, that holds this key, locked (docs/architecture.md, "Locking");
   * null when there is none.
   */
  static Device holder(byte[] publicKey) {
    // native, with the literal: the partial unique index serves exactly this predicate
    @SuppressWarnings("unchecked")
    List<UUID> ids =
        Panache.getEntityManager()
            .createNativeQuery(
                "select id from devices where public_key = ?1 and status <> 'decommissioned'",
                UUID.class)
            .setParameter(1, publicKey)
            .getResultList();
    return ids.isEmpty() ? null : DeviceLocks.lock(ids.get(0));
  }

  /** Whether the application's device_key_proof is its key's signature over the proof bytes. */
  static boolean proves(EnrollmentService.Application application) {
    return Ed25519Keys.verify(
        Ed25519Keys.parsePublicKey(application.publicKey()),
        EnrollmentProof.signedBytes(
            application.tokenSecret(), application.certificateRequest(), application.publicKey()),
        application.keyProof());
  }
}
