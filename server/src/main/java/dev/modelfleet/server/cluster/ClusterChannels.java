package dev.modelfleet.server.cluster;

import java.util.Optional;
import java.util.UUID;

/**
 * The PostgreSQL NOTIFY channels replicas tell each other about changes on, and their payloads. A
 * payload only names what changed: the state itself is read from the database, so a forged or stale
 * notice can at most cause a read.
 */
public final class ClusterChannels {

  /**
   * Payload {@code <deviceId>:<generation>}: the device's desired state reached that generation.
   */
  public static final String DESIRED_STATE = "modelfleet_desired_state";

  /** Payload {@code <deviceId>}: the device was decommissioned. */
  public static final String DECOMMISSIONED = "modelfleet_device_decommissioned";

  /** Payload {@code <version>}: a root metadata version was published. */
  public static final String ROOT_METADATA = "modelfleet_root_metadata";

  /** Payload {@code <deviceId>}: an operator approved the pending device. */
  public static final String APPROVED = "modelfleet_device_approved";

  /** Payload {@code <deviceId>}: an operator rejected the pending device. */
  public static final String REJECTED = "modelfleet_device_rejected";

  /**
   * Payload {@code <rolloutId>}: the rollout or the state of one of its devices changed. Sent at
   * most once per rollout and transaction (PostgreSQL also folds identical notices of one
   * transaction into one).
   */
  public static final String ROLLOUT_CHANGED = "modelfleet_rollout_changed";

  private ClusterChannels() {}

  public record DesiredStateNotice(UUID deviceId, long generation) {}

  public static String desiredStatePayload(UUID deviceId, long generation) {
    return deviceId + ":" + generation;
  }

  /** Empty for a payload this version cannot read (a newer replica's, say). */
  public static Optional<DesiredStateNotice> parseDesiredState(String payload) {
    int colon = payload.indexOf(':');
    if (colon < 0) {
      return Optional.empty();
    }
    return parseDevice(payload.substring(0, colon))
        .flatMap(
            id -> {
              try {
                return Optional.of(
                    new DesiredStateNotice(id, Long.parseLong(payload.substring(colon + 1))));
              } catch (NumberFormatException e) {
                return Optional.empty();
              }
            });
  }

  public static Optional<UUID> parseDevice(String payload) {
    try {
      return Optional.of(UUID.fromString(payload));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
