package dev.modelfleet.server.device;

import dev.modelfleet.server.common.Secrets;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.transaction.Transactional;
import java.util.Optional;
import java.util.UUID;

/**
 * Checks device credentials, {@code <deviceId>.<secret>}. The id part finds the row without
 * scanning; the secret is compared by hash in constant time.
 */
@ApplicationScoped
public class DeviceAuthenticator {

  public static String credential(UUID deviceId, String secret) {
    return deviceId + "." + secret;
  }

  /**
   * The device whose credential this is, while it may connect: approved or still waiting for
   * approval. A pending device gets nothing to run or fetch (see ArtifactAccess and SyncService).
   */
  @Transactional
  public Optional<UUID> authenticate(String credential) {
    return owner(credential).filter(Device::mayConnect).map(d -> d.id);
  }

  /** Whether the credential is genuine but its device was rejected by an operator. */
  @Transactional
  public boolean isRejected(String credential) {
    return owner(credential).filter(d -> d.status == DeviceStatus.REJECTED).isPresent();
  }

  private static Optional<Device> owner(String credential) {
    if (credential == null) {
      return Optional.empty();
    }
    int dot = credential.indexOf('.');
    if (dot <= 0) {
      return Optional.empty();
    }
    UUID id;
    try {
      id = UUID.fromString(credential.substring(0, dot));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    Device device = Device.findById(id);
    if (device == null || !Secrets.matches(credential.substring(dot + 1), device.credentialHash)) {
      return Optional.empty();
    }
    return Optional.of(device);
  }
}
