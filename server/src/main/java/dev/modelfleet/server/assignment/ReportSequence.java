package dev.modelfleet.server.assignment;

import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.server.common.StoredText;
import io.quarkus.hibernate.orm.panache.PanacheEntityBase;
import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The highest numbered report stored for a device (DeploymentProgress.report_seq in the agent's
 * report_queue): a report numbered no higher in the same queue is a resend of one already stored,
 * sent again because the stream broke before its ReportAck. Read and written under the device's row
 * lock, with the reports it counts.
 */
@Entity
@Table(name = "device_report_sequences")
public class ReportSequence extends PanacheEntityBase {

  @Id
  @Column(name = "device_id")
  public UUID deviceId;

  @Column(name = "report_queue")
  public String reportQueue;

  @Column(name = "report_seq")
  public long reportSeq;

  @Column(name = "updated_at")
  public Instant updatedAt;

  /** The rows of these devices, by device. */
  static Map<UUID, ReportSequence> of(Collection<UUID> devices) {
    Map<UUID, ReportSequence> rows = new HashMap<>();
    ReportSequence.<ReportSequence>list("deviceId in ?1", devices)
        .forEach(row -> rows.put(row.deviceId, row));
    return rows;
  }

  /** Whether this numbered report was stored before; unnumbered reports never were. */
  static boolean alreadyStored(ReportSequence row, DeploymentProgress progress) {
    return row != null
        && progress.getReportSeq() > 0
        && row.reportQueue.equals(queue(progress))
        && progress.getReportSeq() <= row.reportSeq;
  }

  /** The agent's queue id, bounded as any name a device sends. */
  private static String queue(DeploymentProgress progress) {
    return StoredText.bounded(progress.getReportQueue(), StoredText.NAME_LENGTH);
  }

  /** Counts a numbered report as stored; returns the row to persist (new or the one given). */
  static ReportSequence stored(
      ReportSequence row, UUID deviceId, DeploymentProgress progress, Instant now) {
    ReportSequence counted = row == null ? new ReportSequence() : row;
    counted.deviceId = deviceId;
    counted.reportQueue = queue(progress);
    counted.reportSeq = progress.getReportSeq();
    counted.updatedAt = now;
    return counted;
  }
}
