package dev.modelfleet.agent.trial;

import dev.modelfleet.agent.benchmark.Latencies;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelLoadException;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.SmokeInputs;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.TrialReport;
import dev.modelfleet.protocol.agent.v1.TrialRequest;
import dev.modelfleet.protocol.agent.v1.TrialResult;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Times candidate variants on this device: each manifest is verified as for a desired state and
 * checked against the device's hardware, its artifact downloaded into the usual artifacts
 * directory, loaded in a session of its own on the variant's execution provider, warmed up, timed
 * on generated inputs and closed. Nothing in service is touched. Results come in the order of the
 * request's manifests.
 */
public final class TrialRunner {

  static final int DEFAULT_RUNS = 50;
  static final int MAX_RUNS = 200;
  private static final long BUDGET_NANOS = 5_000_000_000L;

  private final DesiredStateVerifier verifier;
  private final ArtifactDownloader downloader;
  private final ModelLoader loader;
  private final Supplier<DeviceFacts> device;

  public TrialRunner(
      DesiredStateVerifier verifier,
      ArtifactDownloader downloader,
      ModelLoader loader,
      Supplier<DeviceFacts> device) {
    this.verifier = verifier;
    this.downloader = downloader;
    this.loader = loader;
    this.device = device;
  }

  public TrialReport run(TrialRequest request) throws InterruptedException {
    int runs = request.getRuns() <= 0 ? DEFAULT_RUNS : Math.min(request.getRuns(), MAX_RUNS);
    TrialReport.Builder report = TrialReport.newBuilder().setTrialId(request.getTrialId());
    for (int i = 0; i < request.getManifestsCount(); i++) {
      report.addResults(
          trial(
              request.getManifests(i),
              "trial " + request.getTrialId() + " candidate " + (i + 1),
              runs));
    }
    return report.build();
  }

  private TrialResult trial(SignedEnvelope envelope, String what, int runs)
      throws InterruptedException {
    TrialResult.Builder result = TrialResult.newBuilder();
    try {
      VariantManifest manifest = verifier.verifyManifest(envelope, what);
      result.setVariantId(manifest.getVariantId()).setSha256(manifest.getSha256());
      String misfit = device.get().mismatch(manifest).orElse(null);
      if (misfit != null) {
        throw new VerificationException("hardware-mismatch", misfit);
      }
      // Pinned until its session is closed: a desired state applied meanwhile must not
      // clean the candidate up under the trial.
      Runnable unpin = downloader.pin(manifest.getSha256());
      try {
        Path file = downloader.download(manifest.getSha256(), manifest.getSize(), (d, t) -> {});
        measure(file, manifest, runs, result);
      } finally {
        unpin.run();
      }
    } catch (VerificationException e) {
      result.setError(e.getMessage()).setReasonCode(e.reasonCode());
    } catch (RuntimeException e) {
      result.setError("unexpected agent error: " + e).setReasonCode("internal-error");
    }
    return result.build();
  }

  private void measure(Path file, VariantManifest manifest, int runs, TrialResult.Builder result)
      throws VerificationException {
    long residentBefore = ProcessMemory.residentBytes();
    boolean peakReset = ProcessMemory.resetPeak();
    long start = System.nanoTime();
    LoadedModel model;
    try {
      model = loader.load(file, manifest.getExecutionProvider());
    } catch (ModelLoadException e) {
      throw new VerificationException(
          e.reasonCode(),
          "variant " + manifest.getVariantId() + " does not load: " + e.getMessage(),
          e);
    }
    try (model) {
      result
          .setLoadMs((System.nanoTime() - start) / 1_000_000)
          .setExecutionProviderUsed(model.executionProvider());
      long residentPeak = ProcessMemory.residentBytes();
      List<Tensor> inputs = workingInputs(model, manifest);
      Latencies latencies =
          Latencies.measure(() -> model.infer(inputs, Set.of()), 2, 1, runs, BUDGET_NANOS);
      residentPeak = Math.max(residentPeak, ProcessMemory.residentBytes());
      long peak = peakReset ? Math.max(residentPeak, ProcessMemory.peakBytes()) : residentPeak;
      result
          .setRuns(latencies.runs())
          .setP50Ms(latencies.p50Ms())
          .setP95Ms(latencies.p95Ms())
          .setPeakMemoryBytes(Math.max(0, peak - residentBefore));
    } catch (VerificationException e) {
      throw e;
    } catch (Exception e) {
      throw new VerificationException(
          "trial-run-failed",
          "variant " + manifest.getVariantId() + " failed while timed: " + e.getMessage(),
          e);
    }
  }

  /** Inputs built as for the smoke test, with the first dynamic size the model accepts. */
  private static List<Tensor> workingInputs(LoadedModel model, VariantManifest manifest)
      throws VerificationException {
    Exception first = null;
    for (int size : SmokeInputs.DYNAMIC_SIZES) {
      try {
        List<Tensor> inputs = SmokeInputs.forModel(model.inputs(), size);
        model.infer(inputs, Set.of());
        return inputs;
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    throw new VerificationException(
        "smoke-test-failed",
        "variant "
            + manifest.getVariantId()
            + " loads but fails on generated inputs: "
            + first.getMessage(),
        first);
  }
}
