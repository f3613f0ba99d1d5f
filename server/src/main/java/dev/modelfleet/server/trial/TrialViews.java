package dev.modelfleet.server.trial;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

public final class TrialViews {

  private TrialViews() {}

  /** Exactly one of deviceId or selector (a label selector); runs optional (default 20). */
  public record StartTrial(String deviceId, String selector, Integer runs) {}

  public record ResultView(
      UUID variantId,
      String precision,
      String executionProvider,
      String state,
      Long loadMs,
      Integer runs,
      Double p50Ms,
      Double p95Ms,
      Long peakMemoryBytes,
      String executionProviderUsed,
      String error,
      String reasonCode,
      Instant reportedAt) {

    static ResultView of(TrialResult r) {
      return new ResultView(
          r.variant.id,
          r.variant.precision,
          r.variant.executionProvider,
          r.state,
          r.loadMs,
          r.runs,
          r.p50Ms,
          r.p95Ms,
          r.peakMemoryBytes,
          r.executionProviderUsed,
          r.error,
          r.reasonCode,
          r.reportedAt);
    }
  }

  public record DeviceView(
      UUID deviceId,
      String hardwareClassId,
      String state,
      String reason,
      Instant updatedAt,
      List<ResultView> results) {}

  /**
   * {@code status}: "running" while a device that was sent the trial has not reported, else
   * "complete".
   */
  public record TrialView(
      UUID id,
      String model,
      String version,
      int runs,
      Instant requestedAt,
      String status,
      List<DeviceView> devices) {}
}
