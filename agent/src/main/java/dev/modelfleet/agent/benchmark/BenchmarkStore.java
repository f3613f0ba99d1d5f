package dev.modelfleet.agent.benchmark;

import dev.modelfleet.agent.state.SecureFiles;
import dev.modelfleet.protocol.agent.v1.BenchmarkReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The last benchmark report in the state directory ({@code benchmark.pb}), with the runtime it was
 * measured on ({@code benchmark.runtime}: ONNX Runtime version and providers). A report is reused
 * only for the same runtime: a new ONNX Runtime or provider changes the figures.
 */
public final class BenchmarkStore {

  private static final Logger LOG = Logger.getLogger("modelfleet.benchmark");

  private final Path reportFile;
  private final Path runtimeFile;

  public BenchmarkStore(Path stateDir) {
    this.reportFile = stateDir.resolve("benchmark.pb");
    this.runtimeFile = stateDir.resolve("benchmark.runtime");
  }

  /** The stored report, if it was measured on {@code runtime}. */
  public Optional<BenchmarkReport> load(String runtime) {
    try {
      if (!Files.exists(reportFile)
          || !Files.readString(runtimeFile, StandardCharsets.UTF_8).equals(runtime)) {
        return Optional.empty();
      }
      return Optional.of(BenchmarkReport.parseFrom(Files.readAllBytes(reportFile)));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Report first, runtime last: a crash in between leaves a report that is re-measured. */
  public void save(BenchmarkReport report, String runtime) {
    try {
      Files.deleteIfExists(runtimeFile);
      SecureFiles.writeAtomically(reportFile, report.toByteArray());
      SecureFiles.writeAtomically(runtimeFile, runtime.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      LOG.warning(
          "could not store the benchmark report: "
              + e.getMessage()
              + "; it will run again at the next start");
    }
  }
}
