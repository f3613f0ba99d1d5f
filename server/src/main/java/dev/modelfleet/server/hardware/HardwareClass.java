package dev.modelfleet.server.hardware;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Map;
import org.hibernate.annotations.JdbcTypeCode;
import org.hibernate.type.SqlTypes;

/** Devices that share a hardware fingerprint: they run a variant alike, so they share figures. */
@Entity
@Table(name = "hardware_classes")
public class HardwareClass extends PanacheEntityBase {

  /** The fingerprint: the first 16 hex characters of the sha256 of the fingerprinted parts. */
  @Id public String id;

  public String description;

  @JdbcTypeCode(SqlTypes.JSON)
  public Map<String, Object> profile;

  public boolean simulated;

  @Column(name = "created_at")
  public Instant createdAt;
}
