package dev.modelfleet.server.trial;

import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** One device of a trial: asked and answered, or why it was not asked. */
@Entity
@Table(name = "trial_devices")
public class TrialDevice extends PanacheEntityBase {

  public static final String SENT = "sent";
  public static final String REPORTED = "reported";
  public static final String OFFLINE = "offline";
  public static final String SKIPPED = "skipped";

  @Id public UUID id;

  @Column(name = "trial_id")
  public UUID trialId;

  @Column(name = "device_id")
  public UUID deviceId;

  @Column(name = "hardware_class_id")
  public String hardwareClassId;

  /** {@link #SENT}, {@link #REPORTED}, {@link #OFFLINE} or {@link #SKIPPED}. */
  public String state;

  public String reason;

  @Column(name = "updated_at")
  public Instant updatedAt;
}
