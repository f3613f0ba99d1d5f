package dev.modelfleet.server.assignment;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityManager;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * One line of a device's deployment history: the server changed what the device should run ({@code
 * desired}), or the device said a version went active or failed.
 */
@Entity
@Table(name = "deployment_history")
public class DeploymentHistory extends PanacheEntityBase {

  @Id
  @GeneratedValue(strategy = GenerationType.IDENTITY)
  public Long id;

  @Column(name = "device_id")
  public UUID deviceId;

  public String model;

  /** Null when the model was taken off the device. */
  public String version;

  @Column(name = "variant_id")
  public UUID variantId;

  public long generation;

  /** "desired", "active" or "failed". */
  public String kind;

  /** Why: "assignment", "rollout", "rollback" for desired changes; the failure for "failed". */
  public String cause;

  @Column(name = "rollout_id")
  public UUID rolloutId;

  public Instant at;

  /** The offline bundle the device installed this from; null when it came over Sync. */
  @Column(name = "bundle_id")
  public UUID bundleId;

  /** Lines kept per device, newest first: a device can report without end. */
  public static final int KEPT_PER_DEVICE = 1_000;

  /** Deletes the device's lines older than its newest {@code kept}. */
  static void keepNewest(UUID deviceId, int kept) {
    EntityManager em = getEntityManager();
    em.flush();
    em.createNativeQuery(
            """
            delete from deployment_history where device_id = ?1 and id <= (
              select id from deployment_history where device_id = ?1
               order by id desc offset ?2 limit 1)""")
        .setParameter(1, deviceId)
        .setParameter(2, kept)
        .executeUpdate();
  }

  static DeploymentHistory record(
      UUID deviceId,
      String model,
      String version,
      UUID variantId,
      long generation,
      String kind,
      String cause,
      UUID rolloutId,
      Instant at) {
    DeploymentHistory line = new DeploymentHistory();
    line.deviceId = deviceId;
    line.model = model;
    line.version = version;
    line.variantId = variantId;
    line.generation = generation;
    line.kind = kind;
    line.cause = cause;
    line.rolloutId = rolloutId;
    line.at = at;
    line.persist();
    return line;
  }
}
