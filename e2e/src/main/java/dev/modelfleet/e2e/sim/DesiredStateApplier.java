package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.protocol.Dsse;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.InstalledModel;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What a simulated device does with a desired state: the agent's own verifier checks it, each new
 * artifact is downloaded and checked, and progress goes up as a real agent reports it, except that
 * "loading" is instant because there is no ONNX Runtime behind it. The version's {@link
 * VersionBehaviour} may make the install fail after verification (the previous version keeps
 * serving, as on a real agent whose new session would not load) or make the device fall silent on
 * receipt.
 */
final class DesiredStateApplier {

  /** Where the device stands for the fleet's tally. */
  enum Outcome {
    NOTHING_ASSIGNED,
    DEPLOYING,
    ACTIVE,
    FAILED,
    SILENT
  }

  /** Starts a download of the manifest's artifact; the outcome may come on any thread. */
  interface Downloader {
    void start(VariantManifest manifest, DownloadOutcome outcome);
  }

  private final DesiredStateVerifier verifier;
  private final HardwareProfile hardware;
  private final String deviceId;
  private final Downloader downloader;
  private final Consumer<DeploymentProgress> report;
  private final Behaviours behaviours;
  private final ServingCounters serving;

  // All guarded by this: sync and download callbacks arrive on different gRPC threads.
  private long acceptedGeneration;
  private String acceptedPayloadSha256 = "";
  private final Map<String, InstalledModel> installed = new HashMap<>();
  private final Map<String, DeploymentState> states = new HashMap<>();
  private final Map<String, String> downloading = new HashMap<>();

  /**
   * Per model, the artifact and generation whose simulated install failed: the same document
   * re-sent is not worth another download, a new generation is.
   */
  private final Map<String, String> failedInstalls = new HashMap<>();

  /** Models whose desired version keeps this device silent. */
  private final Set<String> silencedBy = new HashSet<>();

  private boolean documentRefused;

  /** Read without the lock on every send, which must not wait for a download callback. */
  private volatile boolean silent;

  DesiredStateApplier(
      DesiredStateVerifier verifier,
      HardwareProfile hardware,
      String deviceId,
      Downloader downloader,
      Consumer<DeploymentProgress> report,
      Behaviours behaviours,
      ServingCounters serving) {
    this.verifier = verifier;
    this.hardware = hardware;
    this.deviceId = deviceId;
    this.downloader = downloader;
    this.report = report;
    this.behaviours = behaviours;
    this.serving = serving;
  }

  synchronized void apply(SignedEnvelope envelope) {
    DesiredState state;
    try {
      state = verifier.verify(envelope, acceptedGeneration, acceptedPayloadSha256);
    } catch (VerificationException e) {
      // Generation 0: the document was not trusted, so neither is the generation it claims.
      documentRefused = true;
      report.accept(failed(DeploymentProgress.newBuilder(), e.reasonCode(), e.getMessage()));
      return;
    }
    documentRefused = false;
    acceptedGeneration = state.getGeneration();
    acceptedPayloadSha256 = Dsse.sha256Hex(envelope.getPayload().toByteArray());
    silencedBy.clear();
    silent = false;
    Set<String> wanted = new HashSet<>();
    for (DesiredModel model : state.getModelsList()) {
      wanted.add(model.getModel());
      deploy(model, state.getGeneration());
    }
    // Models no longer desired are simply forgotten: there is nothing loaded to unload.
    installed.keySet().retainAll(wanted);
    states.keySet().retainAll(wanted);
    downloading.keySet().retainAll(wanted);
    failedInstalls.keySet().retainAll(wanted);
    for (String model : serving.servingModels()) {
      if (!wanted.contains(model)) {
        serving.stopped(model);
      }
    }
  }

  private void deploy(DesiredModel model, long generation) {
    DeploymentProgress.Builder progress =
        DeploymentProgress.newBuilder()
            .setModel(model.getModel())
            .setVersion(model.getVersion())
            .setGeneration(generation);
    VariantManifest manifest;
    try {
      manifest = verifier.verifyManifest(model);
    } catch (VerificationException e) {
      states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_FAILED);
      report.accept(failed(progress, e.reasonCode(), e.getMessage()));
      return;
    }
    progress.setVariantId(manifest.getVariantId()).setBytesTotal(manifest.getSize());
    InstalledModel have = installed.get(model.getModel());
    if (have != null && have.getSha256().equals(manifest.getSha256())) {
      // Re-sent on every reconnect, or a rollback to what still serves. As the agent does,
      // ACTIVE is reported again only when the version it goes by changed.
      downloading.remove(model.getModel());
      states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_ACTIVE);
      if (!have.getVersion().equals(model.getVersion())) {
        activate(model, manifest, progress);
      }
      return;
    }
    if (manifest.getSha256().equals(downloading.get(model.getModel()))) {
      return; // a re-sent document while the bytes are on their way
    }
    VersionBehaviour behaviour = behaviours.of(model.getModel(), model.getVersion());
    if (behaviour.silentOn(deviceId)) {
      // A hung agent: it got the document and will never say what became of it.
      silencedBy.add(model.getModel());
      silent = true;
      downloading.remove(model.getModel());
      states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_PENDING);
      return;
    }
    if (failedInstall(manifest, generation).equals(failedInstalls.get(model.getModel()))
        && behaviour.failsOn(deviceId)) {
      // A real agent would download it again on every reconnect and fail the same way; the
      // server already holds this generation's failure, so spare it the bytes.
      states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_FAILED);
      return;
    }
    String unfit = unfitReason(model, manifest);
    if (unfit != null) {
      states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_FAILED);
      report.accept(failed(progress, "variant-unfit", unfit));
      return;
    }
    states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_DOWNLOADING);
    downloading.put(model.getModel(), manifest.getSha256());
    report.accept(progress.setState(DeploymentState.DEPLOYMENT_STATE_DOWNLOADING).build());
    downloader.start(
        manifest,
        (reasonCode, reason) ->
            downloaded(model, manifest, generation, progress, reasonCode, reason));
  }

  private synchronized void downloaded(
      DesiredModel model,
      VariantManifest manifest,
      long generation,
      DeploymentProgress.Builder progress,
      String reasonCode,
      String reason) {
    if (generation != acceptedGeneration
        || !manifest.getSha256().equals(downloading.get(model.getModel()))) {
      return; // a newer desired state took over while the bytes were on their way
    }
    downloading.remove(model.getModel());
    if (reasonCode != null) {
      states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_FAILED);
      report.accept(failed(progress, reasonCode, reason));
      return;
    }
    progress.setBytesDone(manifest.getSize());
    report.accept(progress.setState(DeploymentState.DEPLOYMENT_STATE_VERIFYING).build());
    VersionBehaviour behaviour = behaviours.of(model.getModel(), model.getVersion());
    if (behaviour.failsOn(deviceId)) {
      // What was installed before stays installed and serving, as on a real agent.
      failedInstalls.put(model.getModel(), failedInstall(manifest, generation));
      states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_FAILED);
      report.accept(
          failed(
              progress,
              behaviour.failCode(),
              "simulated install failure: "
                  + "fail-share "
                  + behaviour.failShare()
                  + " of "
                  + model.getModel()
                  + " "
                  + model.getVersion()
                  + " picks this device"));
      return;
    }
    failedInstalls.remove(model.getModel());
    activate(model, manifest, progress);
  }

  private static String failedInstall(VariantManifest manifest, long generation) {
    return manifest.getSha256() + "@" + generation;
  }

  /** Swaps the version in: it serves (and takes simulated traffic) from now on. */
  private void activate(
      DesiredModel model, VariantManifest manifest, DeploymentProgress.Builder progress) {
    installed.put(
        model.getModel(),
        InstalledModel.newBuilder()
            .setModel(model.getModel())
            .setVersion(model.getVersion())
            .setVariantId(manifest.getVariantId())
            .setSha256(manifest.getSha256())
            .setActive(true)
            .build());
    serving.serving(
        model.getModel(),
        model.getVersion(),
        manifest.getVariantId(),
        manifest.getExecutionProvider());
    states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_ACTIVE);
    VersionBehaviour behaviour = behaviours.of(model.getModel(), model.getVersion());
    report.accept(
        progress
            .setBytesDone(manifest.getSize())
            .setState(DeploymentState.DEPLOYMENT_STATE_ACTIVE)
            .setExecutionProviderUsed(
                ServingCounters.providerUsed(behaviour, manifest.getExecutionProvider()))
            .build());
  }

  /** The needs a manifest states that this device's profile does not meet, or null. */
  private String unfitReason(DesiredModel model, VariantManifest manifest) {
    if (!manifest.getModel().equals(model.getModel())) {
      return "the manifest is for model '"
          + manifest.getModel()
          + "', listed as '"
          + model.getModel()
          + "'";
    }
    if (!manifest.getArch().isEmpty() && !manifest.getArch().equals(hardware.getArch())) {
      return "the variant needs " + manifest.getArch() + ", this device is " + hardware.getArch();
    }
    if (manifest.getMinMemoryBytes() > hardware.getMemoryTotalBytes()) {
      return "the variant needs "
          + manifest.getMinMemoryBytes()
          + " bytes of memory, this device"
          + " has "
          + hardware.getMemoryTotalBytes();
    }
    if (!hardware.getCpuFlagsList().containsAll(manifest.getRequiredCpuFlagsList())) {
      return "the variant needs CPU flags " + manifest.getRequiredCpuFlagsList();
    }
    return null;
  }

  private static DeploymentProgress failed(
      DeploymentProgress.Builder progress, String code, String reason) {
    return progress
        .setState(DeploymentState.DEPLOYMENT_STATE_FAILED)
        .setReasonCode(code)
        .setReason(reason)
        .build();
  }

  synchronized List<InstalledModel> installed() {
    return List.copyOf(installed.values());
  }

  synchronized long acceptedGeneration() {
    return acceptedGeneration;
  }

  /** Whether a behaviour keeps this device from sending anything. */
  boolean silent() {
    return silent;
  }

  /** {@code model@version} of every model this device serves. */
  synchronized List<String> activeVersions() {
    return installed.values().stream().map(m -> m.getModel() + "@" + m.getVersion()).toList();
  }

  synchronized Outcome outcome() {
    if (silent) {
      return Outcome.SILENT;
    }
    if (documentRefused || states.containsValue(DeploymentState.DEPLOYMENT_STATE_FAILED)) {
      return Outcome.FAILED;
    }
    if (states.isEmpty()) {
      return Outcome.NOTHING_ASSIGNED;
    }
    boolean allActive =
        states.values().stream().allMatch(s -> s == DeploymentState.DEPLOYMENT_STATE_ACTIVE);
    return allActive ? Outcome.ACTIVE : Outcome.DEPLOYING;
  }
}
