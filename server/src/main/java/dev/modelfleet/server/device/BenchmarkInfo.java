package dev.modelfleet.server.device;

import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import java.time.Instant;
import java.util.List;

/** A device's latest micro-benchmark report, as its agent sent it. */
public record BenchmarkInfo(
    String trigger,
    Instant startedAt,
    long durationMs,
    String onnxruntimeVersion,
    boolean simulated,
    List<Figure> results) {

  /** One execution provider × precision × kernel; {@code error} set when it was not measured. */
  public record Figure(
      String executionProvider,
      String precision,
      String kernel,
      int runs,
      double p50Ms,
      double p95Ms,
      double gmacs,
      String error) {

    public boolean measured() {
      return (error == null || error.isEmpty()) && gmacs > 0 && Double.isFinite(gmacs);
    }
  }

  public static BenchmarkInfo from(BenchmarkReport report) {
    return new BenchmarkInfo(
        report.getTrigger(),
        Instant.ofEpochMilli(report.getStartedAtMs()),
        report.getDurationMs(),
        report.getOnnxruntimeVersion(),
        report.getSimulated(),
        report.getResultsList().stream()
            .map(
                r ->
                    new Figure(
                        r.getExecutionProvider(),
                        r.getPrecision(),
                        r.getKernel(),
                        r.getRuns(),
                        r.getP50Ms(),
                        r.getP95Ms(),
                        r.getGmacs(),
                        r.getError().isEmpty() ? null : r.getError()))
            .toList());
  }
}
