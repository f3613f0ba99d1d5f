package dev.modelfleet.agent.deploy;

import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.download.CompressedDelivery;
import dev.modelfleet.agent.download.DeltaDelivery;
import dev.modelfleet.agent.download.DownloadGate;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.state.ActiveModel;
import dev.modelfleet.agent.state.AgentState;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.RootChain;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Applies a signed desired state: verify the document, then per model verify its manifest,
 * download, check, load, smoke-test, swap, persist, report. Every refusal leaves what was serving
 * in service and is reported with a reason code.
 *
 * <p>The generation is accepted as soon as the document itself verified (signature, device,
 * generation, expiry), even when a model then fails: the failure is reported per model, the old
 * model keeps serving, and re-sending the same document (the server does on reconnect) retries the
 * failed models, since an identical document is re-applied, never refused.
 *
 * <p>Calls are serialized: one desired state is applied at a time.
 */
public final class Deployer {

  private volatile DesiredState desired;

  private static final Logger LOG = Logger.getLogger("modelfleet.deploy");

  private final DesiredStateVerifier verifier;
  private final ArtifactDownloader downloader;
  private final DeltaDelivery deltas;
  private final CompressedDelivery compressed;
  private final SmokeTestedLoader loader;
  private final ModelRegistry registry;
  private final StateStore store;
  private final ProgressListener listener;
  private final Supplier<DeviceFacts> device;
  private final ShadowDeployer shadows;
  private volatile ReleaseHandler releases;

  public Deployer(
      DesiredStateVerifier verifier,
      ArtifactDownloader downloader,
      ModelLoader loader,
      ModelRegistry registry,
      StateStore store,
      ProgressListener listener,
      Supplier<DeviceFacts> device) {
    this.verifier = verifier;
    this.device = device;
    this.downloader = downloader;
    this.deltas = new DeltaDelivery(downloader);
    this.compressed = new CompressedDelivery(downloader);
    this.loader = new SmokeTestedLoader(loader);
    this.registry = registry;
    this.store = store;
    this.shadows = new ShadowDeployer(verifier, downloader, this.loader, registry, device);
    ProgressListener log = new DeploymentLog();
    this.listener =
        p -> {
          log.onProgress(p);
          listener.onProgress(p);
        };
  }

  /** Hands the agent's own releases to {@code handler} instead of loading them as models. */
  public Deployer withReleases(ReleaseHandler handler) {
    this.releases = handler;
    return this;
  }

  private volatile int keepOldVersions = 1;

  /**
   * Keeps the artifacts of at most {@code count} versions per model that served before the active
   * one (rollback copies, delta bases); older ones are deleted once a new version is active.
   */
  public Deployer keepingOldVersions(int count) {
    this.keepOldVersions = count;
    return this;
  }

  /** The last desired state accepted since start, or null: what the device should serve. */
  public DesiredState desired() {
    return desired;
  }

  /** Returns true when the document was accepted (models may still have failed). */
  public synchronized boolean apply(SignedEnvelope envelope) throws InterruptedException {
    return apply(envelope, false);
  }

  /**
   * Applies a hardware class's state from an offline bundle ({@link
   * DesiredStateVerifier#verifyClass}); only the import path calls this, never the Sync session.
   */
  public synchronized boolean applyClassState(SignedEnvelope envelope) throws InterruptedException {
    return apply(envelope, true);
  }

  private boolean apply(SignedEnvelope envelope, boolean forClass) throws InterruptedException {
    AgentState before = store.current();
    DesiredStateVerifier.Accepted accepted;
    try {
      accepted =
          forClass
              ? new DesiredStateVerifier.Accepted(
                  verifier.verifyClass(envelope, before), before.acceptedUnderKeys())
              : verifier.verify(envelope, before);
    } catch (VerificationException e) {
      if (DesiredStateVerifier.EXPIRED.equals(e.reasonCode())
          || RootChain.EXPIRED.equals(e.reasonCode())) {
        LOG.warning("stale: " + e.getMessage() + "; serving " + servedSummary());
      }
      listener.onProgress(failed(DeploymentProgress.newBuilder(), e));
      return false;
    }
    DesiredState desired = accepted.state();
    this.desired = desired;
    downloader.gate().apply(desired.getDownloadPolicy());
    long generation = desired.getGeneration();
    store.save(
        forClass
            ? before.withClassAccepted(desired.getIssuedAtMs())
            : before.withAccepted(
                generation,
                Dsse.sha256Hex(envelope.getPayload().toByteArray()),
                accepted.directorKeysId(),
                desired.getIssuedAtMs()));
    Set<String> wanted = new HashSet<>();
    List<DesiredModel> ownReleases = new ArrayList<>();
    for (DesiredModel model : desired.getModelsList()) {
      wanted.add(model.getModel());
      if (releases != null && releases.handles(model)) {
        ownReleases.add(model);
        continue;
      }
      deploy(model, generation);
      shadows.apply(model);
    }
    for (ServedModel served : registry.all()) {
      if (!wanted.contains(served.name())) {
        registry.remove(served.name());
        store.save(store.current().without(served.name()));
        LOG.info(
            "model "
                + served.name()
                + " "
                + served.version()
                + " unloaded: no longer in the desired state (generation "
                + generation
                + ")");
      }
    }
    // Persisted but not in service (its file failed the re-check at restart): forget it too,
    // or readiness and heartbeats would keep promising a model nobody wants any more.
    for (ActiveModel persisted : store.current().activeModels()) {
      if (!wanted.contains(persisted.model())) {
        store.save(store.current().without(persisted.model()));
        LOG.info(
            "model "
                + persisted.model()
                + " "
                + persisted.version()
                + " forgotten: no longer in the desired state (generation "
                + generation
                + ")");
      }
    }
    removeUnusedArtifacts(desired);
    for (DesiredModel release : ownReleases) {
      releases.apply(release, generation);
    }
    return true;
  }

  private String servedSummary() {
    List<String> served = new ArrayList<>();
    registry.all().forEach(m -> served.add(m.name() + " " + m.version()));
    return served.isEmpty() ? "no model" : String.join(", ", served);
  }

  /**
   * Edge disks are small: keep only the artifacts of active models, of the newest {@link
   * #keepingOldVersions} versions each served before (for a rollback, or as a delta's base), and
   * the partial downloads of models still wanted (so that they resume). Never the serving one.
   */
  private void removeUnusedArtifacts(DesiredState desired) {
    AgentState trimmed = store.current().keepingPrevious(keepOldVersions);
    if (!trimmed.previousModels().equals(store.current().previousModels())) {
      store.save(trimmed);
    }
    Set<String> keep = new HashSet<>();
    store.current().activeModels().forEach(m -> keep.add(m.sha256()));
    store.current().previousModels().forEach(m -> keep.add(m.sha256()));
    registry.all().forEach(m -> keep.add(m.sha256()));
    registry.shadows().forEach(m -> keep.add(m.sha256()));
    for (DesiredModel model : desired.getModelsList()) {
      try {
        keep.add(verifier.verifyManifest(model).getSha256());
        if (model.hasShadow()) {
          keep.add(verifier.verifyManifest(model.getShadow().getManifest(), "shadow").getSha256());
        }
      } catch (VerificationException e) {
        // Not trusted, so nothing of it is worth keeping.
      }
    }
    try (var files = Files.list(store.artifactsDir())) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String name = file.getFileName().toString();
        int dot = name.indexOf('.');
        if (dot > 0 && !keep.contains(name.substring(0, dot))) {
          // Not while a trial uses it or it is being downloaded: that one is wanted, too.
          downloader.deleteUnlessInUse(name.substring(0, dot), file);
        }
      }
    } catch (IOException e) {
      LOG.warning("could not clean " + store.artifactsDir() + ": " + e.getMessage());
    }
  }

  private void deploy(DesiredModel model, long generation) throws InterruptedException {
    DeploymentProgress.Builder progress =
        DeploymentProgress.newBuilder()
            .setModel(model.getModel())
            .setVersion(model.getVersion())
            .setGeneration(generation);
    try {
      VariantManifest manifest = verifier.verifyManifest(model);
      progress.setVariantId(manifest.getVariantId()).setBytesTotal(manifest.getSize());
      if (!manifest.getModel().isEmpty() && !manifest.getModel().equals(model.getModel())) {
        throw new VerificationException(
            "manifest-mismatch",
            "the signed manifest is for model '"
                + manifest.getModel()
                + "', not '"
                + model.getModel()
                + "'");
      }
      // Before any byte is fetched: a variant built for other hardware must not replace one
      // that works here.
      String misfit = device.get().mismatch(manifest).orElse(null);
      if (misfit != null) {
        throw new VerificationException("hardware-mismatch", misfit);
      }
      // Before the shortcut below: a replayed old manifest of the same bytes is refused too,
      // or it would lower the version floor that the next replay is checked against.
      DesiredStateVerifier.requireNotRolledBack(manifest, store.current().active(model.getModel()));
      ServedModel current = registry.peek(model.getModel());
      if (current != null && current.sha256().equals(manifest.getSha256())) {
        recordActive(
            model,
            manifest,
            generation,
            progress.setExecutionProviderUsed(current.model().executionProvider()));
        return;
      }
      report(progress, DeploymentState.DEPLOYMENT_STATE_DOWNLOADING, 0);
      boolean rebuilt = model.hasDelta() && rebuildFromDelta(model, manifest, progress);
      if (!rebuilt && model.hasCompressed()) {
        fetchCompressed(model, manifest, progress);
      }
      Path file =
          downloader.download(manifest.getSha256(), manifest.getSize(), reporting(progress));
      report(progress, DeploymentState.DEPLOYMENT_STATE_VERIFYING, manifest.getSize());
      report(progress, DeploymentState.DEPLOYMENT_STATE_LOADING, manifest.getSize());
      LoadedModel loaded = loader.load(file, model.getModel(), manifest.getExecutionProvider());
      registry.swap(
          new ServedModel(
              model.getModel(),
              model.getVersion(),
              manifest.getVariantId(),
              manifest.getSha256(),
              loaded));
      recordActive(
          model,
          manifest,
          -1,
          progress
              .setBytesDone(manifest.getSize())
              .setExecutionProviderUsed(loaded.executionProvider()));
    } catch (VerificationException e) {
      if (DesiredStateVerifier.MANIFEST_EXPIRED.equals(e.reasonCode())) {
        LOG.warning("stale: " + e.getMessage() + "; serving " + servedSummary());
      }
      listener.onProgress(failed(progress, e));
    } catch (RuntimeException e) {
      listener.onProgress(
          failed(
              progress,
              new VerificationException("internal-error", "unexpected agent error: " + e, e)));
    }
  }

  /**
   * Tries the delta the desired state offers; on any failure reports why and leaves the artifact to
   * the whole download that follows (which re-checks whatever this rebuilt, too).
   */
  private boolean rebuildFromDelta(
      DesiredModel model, VariantManifest manifest, DeploymentProgress.Builder progress)
      throws InterruptedException {
    try {
      boolean rebuilt =
          deltas.rebuild(
              model.getDelta(), manifest.getSha256(), manifest.getSize(), reporting(progress));
      progress.setDeliveredByDelta(rebuilt);
      return rebuilt;
    } catch (VerificationException e) {
      String reason = e.reasonCode() + ": " + e.getMessage();
      LOG.warning(
          "model "
              + model.getModel()
              + " "
              + model.getVersion()
              + ": delta not used ("
              + reason
              + "); downloading the whole artifact");
      progress.setDeltaFallbackReason(reason);
      report(progress, DeploymentState.DEPLOYMENT_STATE_DOWNLOADING, 0);
      return false;
    }
  }

  /**
   * Tries the compressed copy the desired state offers; on any failure reports why and leaves the
   * artifact to the whole download that follows (which re-checks whatever this wrote, too).
   */
  private void fetchCompressed(
      DesiredModel model, VariantManifest manifest, DeploymentProgress.Builder progress)
      throws InterruptedException {
    try {
      progress.setDeliveredCompressed(
          compressed.fetch(
              model.getCompressed(),
              manifest.getSha256(),
              manifest.getSize(),
              reporting(progress)));
    } catch (VerificationException e) {
      String reason = e.reasonCode() + ": " + e.getMessage();
      LOG.warning(
          "model "
              + model.getModel()
              + " "
              + model.getVersion()
              + ": compressed copy not used ("
              + reason
              + "); downloading the whole artifact");
      progress.setCompressedFallbackReason(reason);
      report(progress, DeploymentState.DEPLOYMENT_STATE_DOWNLOADING, 0);
    }
  }

  /** Persists the model as active and reports ACTIVE, unless it already is for this version. */
  private void recordActive(
      DesiredModel model,
      VariantManifest manifest,
      long alreadyAt,
      DeploymentProgress.Builder progress) {
    ActiveModel persisted = store.current().active(model.getModel());
    ActiveModel now =
        new ActiveModel(
            model.getModel(),
            model.getVersion(),
            manifest.getVariantId(),
            manifest.getSha256(),
            manifest.getSize(),
            progress.getGeneration(),
            manifest.getExecutionProvider(),
            manifest.getTargetsVersion());
    if (alreadyAt >= 0
        && persisted != null
        && persisted.sha256().equals(now.sha256())
        && persisted.version().equals(now.version())) {
      if (persisted.targetsVersion() < now.targetsVersion()) {
        // A renewed manifest of the bytes in service: nothing to fetch or report, but the
        // rollback floor moves up to it.
        store.save(
            store
                .current()
                .withActive(
                    new ActiveModel(
                        persisted.model(),
                        persisted.version(),
                        persisted.variantId(),
                        persisted.sha256(),
                        persisted.size(),
                        persisted.generation(),
                        persisted.executionProvider(),
                        now.targetsVersion())));
        LOG.info(
            "model "
                + now.model()
                + " "
                + now.version()
                + ": renewed manifest, targets"
                + " version "
                + now.targetsVersion()
                + ", valid until "
                + manifest.getExpiresAtMs());
      }
      return; // Re-sent document, nothing changed for this model.
    }
    store.save(store.current().withActive(now));
    report(
        progress.setBytesDone(manifest.getSize()),
        DeploymentState.DEPLOYMENT_STATE_ACTIVE,
        manifest.getSize());
  }

  private void report(DeploymentProgress.Builder progress, DeploymentState state, long done) {
    listener.onProgress(
        progress
            .setState(state)
            .setBytesDone(done)
            .clearReasonCode()
            .clearReason()
            .clearWaitingUntilMs()
            .build());
  }

  /**
   * Reports a download's bytes as DOWNLOADING, and each wait for the download policy as DOWNLOADING
   * with its reason code (waiting_window, waiting_budget) and when it ends: a wait is no failure,
   * and the server counts the wave's timeout from its end.
   */
  private ArtifactDownloader.Progress reporting(DeploymentProgress.Builder progress) {
    return new ArtifactDownloader.Progress() {
      @Override
      public void update(long done, long total) {
        report(progress, DeploymentState.DEPLOYMENT_STATE_DOWNLOADING, done);
      }

      @Override
      public void waiting(DownloadGate.Wait wait, long done, long total) {
        LOG.info(
            "model " + progress.getModel() + " " + progress.getVersion() + ": " + wait.reason());
        listener.onProgress(
            progress
                .setState(DeploymentState.DEPLOYMENT_STATE_DOWNLOADING)
                .setBytesDone(done)
                .setReasonCode(wait.reasonCode())
                .setReason(wait.reason())
                .setWaitingUntilMs(wait.untilSystemMs())
                .build());
      }
    };
  }

  private static DeploymentProgress failed(
      DeploymentProgress.Builder progress, VerificationException e) {
    return progress
        .setState(DeploymentState.DEPLOYMENT_STATE_FAILED)
        .setReason(e.getMessage())
        .setReasonCode(e.reasonCode())
        .clearWaitingUntilMs()
        .build();
  }
}
