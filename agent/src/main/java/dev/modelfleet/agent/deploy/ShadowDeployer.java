package dev.modelfleet.agent.deploy;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ShadowModel;
import dev.modelfleet.agent.runtime.ShadowSettings;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.runtime.ValidationInputs;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.ShadowCandidate;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Brings a model's shadow candidate in line with the desired state: verified, downloaded, checked
 * and loaded exactly as a version to serve, then handed to the registry as a {@link ShadowModel},
 * never swapped in. A candidate that cannot be downloaded, verified or loaded is left out and its
 * reason kept in the registry: the serving model is untouched, and heartbeats tell the server why,
 * so that its shadow phase fails on the reason instead of waiting for figures that never come.
 */
final class ShadowDeployer {

  private static final Logger LOG = Logger.getLogger("modelfleet.deploy");

  private final DesiredStateVerifier verifier;
  private final ArtifactDownloader downloader;
  private final SmokeTestedLoader loader;
  private final ModelRegistry registry;
  private final Supplier<DeviceFacts> device;

  ShadowDeployer(
      DesiredStateVerifier verifier,
      ArtifactDownloader downloader,
      SmokeTestedLoader loader,
      ModelRegistry registry,
      Supplier<DeviceFacts> device) {
    this.verifier = verifier;
    this.downloader = downloader;
    this.loader = loader;
    this.registry = registry;
    this.device = device;
  }

  void apply(DesiredModel model) throws InterruptedException {
    String name = model.getModel();
    if (!model.hasShadow()) {
      boolean running = registry.shadowOf(name) != null;
      registry.removeShadow(name); // and forgets a candidate that failed: nothing to report
      if (running) {
        LOG.info("model " + name + ": shadow candidate stopped (no longer in the desired state)");
      }
      return;
    }
    ShadowCandidate wanted = model.getShadow();
    try {
      VariantManifest manifest =
          verifier.verifyManifest(
              wanted.getManifest(), "shadow manifest of model " + name + " " + wanted.getVersion());
      if (!manifest.getModel().isEmpty() && !manifest.getModel().equals(name)) {
        throw new VerificationException(
            "manifest-mismatch",
            "the signed shadow manifest is for model '" + manifest.getModel() + "'");
      }
      ShadowSettings settings =
          new ShadowSettings(
              wanted.getComparison(),
              wanted.getSampleRate(),
              wanted.getMaxPerSecond(),
              wanted.getValidationSha256(),
              wanted.getIdleSeconds() > 0
                  ? wanted.getIdleSeconds()
                  : ShadowSettings.DEFAULT_IDLE_SECONDS);
      ShadowModel running = registry.shadowOf(name);
      if (running != null
          && running.sha256().equals(manifest.getSha256())
          && running.version().equals(wanted.getVersion())
          && Objects.equals(running.settings(), settings)) {
        return; // re-sent document: keep sampling, keep the figures
      }
      if (registry.peek(name) != null
          && registry.peek(name).sha256().equals(manifest.getSha256())) {
        registry.removeShadow(name); // already serving these bytes: nothing to compare
        return;
      }
      String misfit = device.get().mismatch(manifest).orElse(null);
      if (misfit != null) {
        throw new VerificationException("hardware-mismatch", misfit);
      }
      Path file =
          downloader.download(manifest.getSha256(), manifest.getSize(), (done, total) -> {});
      LoadedModel loaded = loader.load(file, name, manifest.getExecutionProvider());
      ShadowModel.Validation validation;
      try {
        validation = validation(name, wanted, settings, loaded);
      } catch (VerificationException | RuntimeException e) {
        loaded.close();
        throw e;
      }
      try {
        registry.shadow(
            new ShadowModel(
                name, wanted.getVersion(), manifest.getSha256(), settings, loaded, validation));
      } catch (IllegalArgumentException e) {
        loaded.close();
        throw new VerificationException(
            "shadow-comparison-invalid",
            "comparison '" + wanted.getComparison() + "' is not valid: " + e.getMessage());
      }
      LOG.info(
          "model "
              + name
              + ": shadowing "
              + wanted.getVersion()
              + " on "
              + settings.sampleRate() * 100
              + " % of requests (at most "
              + settings.maxPerSecond()
              + "/s), compared by "
              + settings.comparison());
    } catch (VerificationException e) {
      failed(wanted, name, e.reasonCode() + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      failed(wanted, name, "shadow-settings-invalid: " + e.getMessage());
    } catch (RuntimeException e) {
      failed(wanted, name, "shadow-load-failed: " + e);
    }
  }

  /**
   * The version's validation set, when the desired state names one: downloaded like an artifact
   * (its sha256 and size checked), read against the candidate's inputs, and replayed on the serving
   * model through a reference that is not counted as a request.
   */
  private ShadowModel.Validation validation(
      String name, ShadowCandidate wanted, ShadowSettings settings, LoadedModel candidate)
      throws VerificationException, InterruptedException {
    if (wanted.getValidationSha256().isEmpty()) {
      return null;
    }
    if (wanted.getValidationSize() > ValidationInputs.MAX_BYTES) {
      throw new VerificationException(
          "validation-set-invalid",
          "the validation set is "
              + wanted.getValidationSize()
              + " bytes, above "
              + ValidationInputs.MAX_BYTES);
    }
    List<List<Tensor>> samples;
    try {
      Path file =
          downloader.download(
              wanted.getValidationSha256(), wanted.getValidationSize(), (done, total) -> {});
      samples = ValidationInputs.read(file, candidate.inputs());
    } catch (IllegalArgumentException e) {
      throw new VerificationException("validation-set-invalid", e.getMessage());
    } catch (IOException e) {
      throw new VerificationException("validation-set-unreadable", e.toString());
    }
    int perSecond =
        settings.maxPerSecond() > 0
            ? settings.maxPerSecond()
            : ShadowSettings.DEFAULT_VALIDATION_PER_SECOND;
    return new ShadowModel.Validation(
        samples,
        Duration.ofSeconds(settings.idleSeconds()),
        perSecond,
        inputs -> {
          ServedModel serving = registry.acquire(name);
          if (serving == null) {
            return null;
          }
          try {
            long start = System.nanoTime();
            // the loaded model itself, not ServedModel.infer: no live request is counted
            List<Tensor> outputs = serving.model().infer(inputs, Set.of());
            return new ShadowModel.ServingRun(
                serving.version(), outputs, System.nanoTime() - start);
          } finally {
            serving.release();
          }
        });
  }

  private void failed(ShadowCandidate wanted, String name, String reason) {
    LOG.warning(
        "model " + name + ": shadow candidate " + wanted.getVersion() + " not run: " + reason);
    registry.shadowFailed(
        new ModelRegistry.ShadowFailure(name, wanted.getVersion(), wanted.getComparison(), reason));
  }
}
