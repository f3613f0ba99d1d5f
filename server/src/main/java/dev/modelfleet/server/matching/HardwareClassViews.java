package dev.modelfleet.server.matching;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

public final class HardwareClassViews {

  private HardwareClassViews() {}

  /** The median across the class's devices of their latest benchmark, for one figure. */
  public record BenchmarkFigure(
      String executionProvider,
      String precision,
      String kernel,
      int devices,
      double medianGmacs,
      double medianP50Ms) {}

  /** What trials measured for one variant on the class's devices. */
  public record TrialFigure(
      String model,
      String version,
      UUID variantId,
      String precision,
      String executionProvider,
      int measured,
      int failed,
      Double medianP50Ms,
      String lastError) {}

  public record HardwareClassView(
      String id,
      String description,
      boolean simulated,
      Map<String, Object> profile,
      long devices,
      long benchmarkedDevices,
      List<BenchmarkFigure> benchmark,
      List<TrialFigure> trials,
      long providerMismatches,
      long devicesWithProviderMismatch,
      Instant createdAt) {}
}
