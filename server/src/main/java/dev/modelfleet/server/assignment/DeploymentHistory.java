package dev.modelfleet.server.assignment;

import io.quarkus.hibernate.orm.panache.Panache;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EntityManager;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.List;
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

  /**
   * {@link #keepNewest(UUID, int)} for many devices in one statement: a batch of reports can bring
   * dozens of devices a new line each.
   */
  static void keepNewest(java.util.Collection<UUID> deviceIds, int kept) {
    if (deviceIds.isEmpty()) {
      return;
    }
    Object[] ids = deviceIds.toArray();
    Panache.getEntityManager()
        .unwrap(org.hibernate.Session.class)
        .doWork(
            connection -> {
              try (java.sql.PreparedStatement delete =
                  connection.prepareStatement(
                      """
                      delete from deployment_history h
                       using (select d.id as device_id,
                                     (select x.id from deployment_history x
                                       where x.device_id = d.id
                                       order by x.id desc offset ? limit 1) as cutoff
                                from unnest(?::uuid[]) as d(id)) c
                       where h.device_id = c.device_id and h.id <= c.cutoff""")) {
                delete.setInt(1, kept);
                delete.setArray(2, connection.createArrayOf("uuid", ids));
                delete.executeUpdate();
              }
            });
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
    DeploymentHistory line =
        line(deviceId, model, version, variantId, generation, kind, cause, rolloutId, at);
    line.persist();
    return line;
  }

  /**
   * Writes many lines in one JDBC batch. Its identity key makes Hibernate insert each entity on its
   * own round trip; a rollout step records one line per device of a 50-device batch.
   */
  static void recordAll(List<DeploymentHistory> lines) {
    if (lines.isEmpty()) {
      return;
    }
    Panache.getEntityManager()
        .unwrap(org.hibernate.Session.class)
        .doWork(
            connection -> {
              try (java.sql.PreparedStatement insert =
                  connection.prepareStatement(
                      "insert into deployment_history (device_id, model, version, variant_id,"
                          + " generation, kind, cause, rollout_id, at, bundle_id)"
                          + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (DeploymentHistory line : lines) {
                  insert.setObject(1, line.deviceId);
                  insert.setString(2, line.model);
                  insert.setString(3, line.version);
                  insert.setObject(4, line.variantId, java.sql.Types.OTHER);
                  insert.setLong(5, line.generation);
                  insert.setString(6, line.kind);
                  insert.setString(7, line.cause);
                  insert.setObject(8, line.rolloutId, java.sql.Types.OTHER);
                  insert.setObject(9, line.at.atOffset(java.time.ZoneOffset.UTC));
                  insert.setObject(10, line.bundleId, java.sql.Types.OTHER);
                  insert.addBatch();
                }
                insert.executeBatch();
              }
            });
  }

  /** A line as {@link #record} makes it, not yet written: for {@link #recordAll}. */
  static DeploymentHistory line(
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
    return line;
  }
}
