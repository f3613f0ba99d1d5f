package dev.modelfleet.server.enrollment;

import dev.modelfleet.protocol.EnrollmentProof;
import dev.modelfleet.server.device.Device;
import dev.modelfleet.server.device.DeviceLocks;
import dev.modelfleet.server.signing.Ed25519Keys;
import io.quarkus.hibernate.orm.panache.Panache;
import java.util.UUID;

/**
 * Device public keys at enrollment: one device per key (besides decommissioned ones, whose key may
 * enroll again), and whether a request proves it holds the key's private half.
 */
final class DeviceKeys {

  private DeviceKeys() {}

  /**
   * The device, not decommissioned, that holds this key, locked (docs/architecture.md, "Locking");
   * null when there is none. Waits first for any other enrollment of the key to end, until this
   * transaction ends (an advisory lock, in {@code device_key_holder}, V31): the unique index on the
   * keys of devices not decommissioned would refuse the second of two concurrent attempts anyway,
   * but waiting lets it find the first one's device and be answered as its retry.
   */
  static Device holder(byte[] publicKey) {
    UUID id =
        (UUID)
            Panache.getEntityManager()
                .createNativeQuery("select device_key_holder(?1)", UUID.class)
                .setParameter(1, publicKey)
                .getSingleResult();
    return id == null ? null : DeviceLocks.lock(id);
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
