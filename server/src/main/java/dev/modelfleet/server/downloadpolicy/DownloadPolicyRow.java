package dev.modelfleet.server.downloadpolicy;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One download policy, for one device or for the devices a label selector matches. */
@Entity
@Table(name = "download_policies")
public class DownloadPolicyRow extends PanacheEntityBase {

  @Id public UUID id;
  public String name;

  @Column(name = "device_id")
  public UUID deviceId;

  public String selector;
  public int priority;

  /** "HH:MM-HH:MM" comma-separated, in {@link #timeZone}; empty: all day. */
  public String windows;

  /** Null: each device's own zone, as it reports it. */
  @Column(name = "time_zone")
  public String timeZone;

  @Column(name = "rate_bytes_per_second")
  public long rateBytesPerSecond;

  @Column(name = "daily_budget_bytes")
  public long dailyBudgetBytes;

  @Column(name = "metered_only")
  public boolean meteredOnly;

  @Column(name = "created_at")
  public Instant createdAt;

  @Column(name = "updated_at")
  public Instant updatedAt;
}
