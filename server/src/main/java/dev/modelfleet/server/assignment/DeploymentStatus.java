package dev.modelfleet.server.assignment;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Optional;
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

  @Column(name = "updated_at")
  public Instant updatedAt;

  static DeploymentStatus forUpdate(UUID deviceId, String model) {
    Optional<DeploymentStatus> existing =
        find("deviceId = ?1 and model = ?2", deviceId, model).firstResultOptional();
    return existing.orElseGet(() -> {
      DeploymentStatus row = new DeploymentStatus();
      row.id = UUID.randomUUID();
      row.deviceId = deviceId;
      row.model = model;
      return row;
    });
  }
}
