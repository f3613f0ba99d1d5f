package dev.modelfleet.server.downloadpolicy;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

public final class DownloadPolicyViews {

  private DownloadPolicyViews() {}

  /**
   * A policy for one device ({@code deviceId}) or a label selector ({@code selector}), not both.
   * Windows are "HH:MM-HH:MM" (an end not after the start crosses midnight); timeZone an IANA id
   * (absent: each device's own zone); rates and budgets in bytes (0 or absent: none).
   */
  public record PolicyRequest(
      String name,
      UUID deviceId,
      String selector,
      Integer priority,
      List<String> windows,
      String timeZone,
      Long rateBytesPerSecond,
      Long dailyBudgetBytes,
      Boolean meteredOnly) {}

  public record PolicyView(
      UUID id,
      String name,
      UUID deviceId,
      String selector,
      int priority,
      List<String> windows,
      String timeZone,
      long rateBytesPerSecond,
      long dailyBudgetBytes,
      boolean meteredOnly,
      Instant createdAt,
      Instant updatedAt) {

    static PolicyView of(DownloadPolicyRow row) {
      return new PolicyView(
          row.id,
          row.name,
          row.deviceId,
          row.selector,
          row.priority,
          PolicyWindows.split(row.windows),
          row.timeZone,
          row.rateBytesPerSecond,
          row.dailyBudgetBytes,
          row.meteredOnly,
          row.createdAt,
          row.updatedAt);
    }
  }
}
