package dev.modelfleet.agent.selfupdate;

import dev.modelfleet.agent.deploy.ProgressListener;
import dev.modelfleet.agent.deploy.ReleaseHandler;
import dev.modelfleet.agent.download.ArtifactDownloader;
import dev.modelfleet.agent.hardware.DeviceFacts;
import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Updates the agent itself through the models' trusted channel: the desired state's entry for the
 * reserved model {@value #RELEASES} names the agent version the device should run, with a manifest
 * signed by a targets key like any variant's. A newer (or explicitly allowed older) release is
 * downloaded and checked like a model, installed beside the running one, and the agent exits so
 * that its launcher starts the new release on probation; the launcher goes back by itself when that
 * release does not confirm here that it is healthy.
 */
public final class SelfUpdater implements ReleaseHandler {

  /** The model name agent releases are published under (the server's AgentRelease.NAME). */
  public static final String RELEASES = "modelfleet-agent";

  /** An older release without the desired state's signed allowance. */
  public static final String DOWNGRADE = "agent-downgrade";

  /** A release the launcher started and went back from. */
  public static final String REVERTED = "agent-update-reverted";

  /** No launcher to hand over to: the agent was started directly. */
  public static final String UNSUPERVISED = "agent-update-unsupervised";

  private static final Logger LOG = Logger.getLogger("modelfleet.selfupdate");

  private final String running;
  private final boolean supervised;
  private final ReleaseSlots slots;
  private final Compatibility compatibility;
  private final DesiredStateVerifier verifier;
  private final ArtifactDownloader downloader;
  private final Supplier<DeviceFacts> device;
  private final BooleanSupplier serving;
  private final ProgressListener listener;
  private final Runnable restart;
  private volatile String reportedActive;
  private volatile String installed;

  /**
   * @param serving whether every model the agent activated serves again (its readiness)
   * @param restart ends this process so that the launcher starts the trial release
   */
  public SelfUpdater(
      String running,
      boolean supervised,
      ReleaseSlots slots,
      Compatibility compatibility,
      DesiredStateVerifier verifier,
      ArtifactDownloader downloader,
      Supplier<DeviceFacts> device,
      BooleanSupplier serving,
      ProgressListener listener,
      Runnable restart) {
    this.running = running;
    this.supervised = supervised;
    this.slots = slots;
    this.compatibility = compatibility;
    this.verifier = verifier;
    this.downloader = downloader;
    this.device = device;
    this.serving = serving;
    this.listener = listener;
    this.restart = restart;
  }

  @Override
  public boolean handles(DesiredModel entry) {
    return RELEASES.equals(entry.getModel());
  }

  @Override
  public void apply(DesiredModel entry, long generation) throws InterruptedException {
    DeploymentProgress.Builder progress =
        DeploymentProgress.newBuilder()
            .setModel(entry.getModel())
            .setVersion(entry.getVersion())
            .setGeneration(generation);
    try {
      VariantManifest manifest = verifier.verifyManifest(entry);
      progress.setVariantId(manifest.getVariantId()).setBytesTotal(manifest.getSize());
      String version = requireRelease(entry, manifest);
      if (version.equals(running)) {
        confirmRunning(manifest, progress);
        return;
      }
      String failure = slots.failure(version).orElse(null);
      if (failure != null) {
        throw new VerificationException(
            REVERTED,
            "agent "
                + version
                + " was started and reverted to "
                + running
                + ": "
                + failure
                + "; it is not tried again (publish a fixed release under a new version)");
      }
      if (AgentVersions.compare(version, running) < 0 && !entry.getAllowDowngrade()) {
        throw new VerificationException(
            DOWNGRADE,
            "agent "
                + version
                + " is older than the running agent "
                + running
                + " and the signed desired state does not allow a downgrade (only a rollout's"
                + " rollback does); refused");
      }
      compatibility.require(manifest);
      if (!supervised) {
        throw new VerificationException(
            UNSUPERVISED,
            "agent "
                + version
                + " not installed: this agent was not started by modelfleet-agent-launcher,"
                + " which hands over to a new release and goes back if it fails (docs/agent.md)");
      }
      if (!version.equals(installed)) {
        install(version, manifest, progress);
      }
      LOG.info("agent " + version + " installed beside " + running + "; restarting into it");
      report(progress, DeploymentState.DEPLOYMENT_STATE_LOADING, manifest.getSize());
      restart.run();
    } catch (VerificationException e) {
      listener.onProgress(
          progress
              .setState(DeploymentState.DEPLOYMENT_STATE_FAILED)
              .setReason(e.getMessage())
              .setReasonCode(e.reasonCode())
              .build());
    }
  }

  private String requireRelease(DesiredModel entry, VariantManifest manifest)
      throws VerificationException {
    if (!RELEASES.equals(manifest.getModel())
        || !entry.getVersion().equals(manifest.getVersion())) {
      throw new VerificationException(
          "manifest-mismatch",
          "the signed manifest is for "
              + manifest.getModel()
              + " "
              + manifest.getVersion()
              + ", not agent release "
              + entry.getVersion());
    }
    if (!ReleaseSlots.safeVersion(manifest.getVersion())) {
      throw new VerificationException(
          "agent-release-invalid",
          "agent release version '" + manifest.getVersion() + "' is not a plain version");
    }
    String misfit = device.get().mismatch(manifest).orElse(null);
    if (misfit != null) {
      throw new VerificationException("hardware-mismatch", misfit);
    }
    return manifest.getVersion();
  }

  /**
   * The desired release is this one: on probation, it tells the launcher it is healthy once the
   * document verified (it is connected, and this runs inside a verified desired state) and every
   * model it had activated serves again; then it reports the release active, once per process.
   */
  private void confirmRunning(VariantManifest manifest, DeploymentProgress.Builder progress)
      throws VerificationException {
    if (slots.onTrial(running)) {
      if (!serving.getAsBoolean()) {
        LOG.warning(
            "agent "
                + running
                + " on trial: not every model serves yet; the launcher goes back to the"
                + " previous release unless they do before its deadline");
        return;
      }
      try {
        slots.confirmHealthy(running);
      } catch (IOException e) {
        throw new VerificationException(
            "internal-error", "cannot tell the launcher this release is healthy: " + e, e);
      }
      LOG.info("agent " + running + " healthy: connected, state verified, every model serving");
    }
    if (!manifest.getSha256().equals(reportedActive)) {
      reportedActive = manifest.getSha256();
      report(progress, DeploymentState.DEPLOYMENT_STATE_ACTIVE, manifest.getSize());
    }
  }

  private void install(
      String version, VariantManifest manifest, DeploymentProgress.Builder progress)
      throws VerificationException, InterruptedException {
    report(progress, DeploymentState.DEPLOYMENT_STATE_DOWNLOADING, 0);
    long started = System.nanoTime();
    Path file =
        downloader.download(
            manifest.getSha256(),
            manifest.getSize(),
            (done, total) -> report(progress, DeploymentState.DEPLOYMENT_STATE_DOWNLOADING, done));
    report(progress, DeploymentState.DEPLOYMENT_STATE_VERIFYING, manifest.getSize());
    try {
      slots.install(version, file);
      slots.requestTrial(version);
    } catch (IOException e) {
      throw new VerificationException(
          "agent-install-failed", "cannot install agent " + version + ": " + e.getMessage(), e);
    }
    installed = version;
    LOG.info(
        "agent "
            + version
            + " downloaded and verified in "
            + (System.nanoTime() - started) / 1_000_000
            + " ms ("
            + manifest.getSize()
            + " bytes)");
  }

  private void report(DeploymentProgress.Builder progress, DeploymentState state, long done) {
    listener.onProgress(progress.setState(state).setBytesDone(done).build());
  }
}
