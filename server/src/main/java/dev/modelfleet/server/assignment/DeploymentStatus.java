package dev.modelfleet.server.assignment;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityManager;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** Where the deployment of one model on one device stands, as last assigned or reported. */
@Entity
@Table(name = "deployment_statuses")
public class DeploymentStatus extends PanacheEntityBase {

  @Id public UUID id;

  @Column(name = "device_id")
  public UUID deviceId;

  public String model;
  public String version;

  @Column(name = "variant_id")
  public UUID variantId;

  public long generation;

  /** "pending", "downloading", "verifying", "loading", "active" or "failed". */
  public String state;

  public String reason;

  @Column(name = "reason_code")
  public String reasonCode;

  @Column(name = "bytes_done")
  public long bytesDone;

  @Column(name = "bytes_total")
  public long bytesTotal;

  /** The provider the session really runs on, as the agent reported with ACTIVE. */
  @Column(name = "execution_provider_used")
  public String executionProviderUsed;

  /** Whether the artifact of the last deployment was rebuilt from a delta. */
  @Column(name = "delivered_by_delta")
  public boolean deliveredByDelta;

  /** Why the agent downloaded the whole artifact although a delta was offered. */
  @Column(name = "delta_fallback_reason")
  public String deltaFallbackReason;

  /** Whether the artifact of the last deployment was decompressed from its compressed copy. */
  @Column(name = "delivered_compressed")
  public boolean deliveredCompressed;

  /** Why the agent downloaded the whole artifact although a compressed copy was offered. */
  @Column(name = "compressed_fallback_reason")
  public String compressedFallbackReason;

  /**
   * Until when the device said its download waits for its download policy (window, budget); kept
   * through its later reports of the same generation: the wave's timeout counts from there.
   */
  @Column(name = "waiting_until")
  public Instant waitingUntil;

  @Column(name = "updated_at")
  public Instant updatedAt;

  /**
   * Most models a device's statuses are kept for. A device names its models itself, pending
   * approval or not; beyond this, the statuses of models it is not meant to run go first, the least
   * recently updated first.
   */
  public static final int KEPT_PER_DEVICE = 100;

  /** Deletes the device's statuses beyond the {@code kept} it should keep (see above). */
  static void keepNewest(UUID deviceId, int kept) {
    EntityManager em = getEntityManager();
    em.flush();
    em.createNativeQuery(
            """
            delete from deployment_statuses where id in (
              select s.id from deployment_statuses s
               where s.device_id = ?1
               order by exists (select 1 from desired_models d join models m on m.id = d.model_id
                                 where d.device_id = s.device_id and m.name = s.model) desc,
                        s.updated_at desc, s.id
              offset ?2)""")
        .setParameter(1, deviceId)
        .setParameter(2, kept)
        .executeUpdate();
  }

  /** A device's row for a model it has no row for yet, not yet written. */
  static DeploymentStatus newRow(UUID deviceId, String model) {
    DeploymentStatus row = new DeploymentStatus();
    row.id = UUID.randomUUID();
    row.deviceId = deviceId;
    row.model = model;
    return row;
  }

  static DeploymentStatus forUpdate(UUID deviceId, String model) {
    return forUpdate(java.util.List.of(deviceId), model).get(deviceId);
  }

  /** Each device's row for {@code model}, new ones for devices without one, by device id. */
  static java.util.Map<UUID, DeploymentStatus> forUpdate(
      java.util.Collection<UUID> deviceIds, String model) {
    java.util.Map<UUID, DeploymentStatus> rows = new java.util.HashMap<>();
    DeploymentStatus.<DeploymentStatus>list("deviceId in ?1 and model = ?2", deviceIds, model)
        .forEach(r -> rows.put(r.deviceId, r));
    for (UUID deviceId : deviceIds) {
      rows.computeIfAbsent(deviceId, id -> newRow(id, model));
    }
    return rows;
  }
}
