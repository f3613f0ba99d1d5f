package dev.modelfleet.e2e.sim;

import dev.modelfleet.agent.trust.DesiredStateVerifier;
import dev.modelfleet.agent.trust.VerificationException;
import dev.modelfleet.agent.v1.AgentServiceGrpc;
import dev.modelfleet.agent.v1.DeploymentProgress;
import dev.modelfleet.agent.v1.DeploymentState;
import dev.modelfleet.agent.v1.DesiredModel;
import dev.modelfleet.agent.v1.DesiredState;
import dev.modelfleet.agent.v1.HardwareProfile;
import dev.modelfleet.agent.v1.InstalledModel;
import dev.modelfleet.agent.v1.SignedEnvelope;
import dev.modelfleet.agent.v1.VariantManifest;
import dev.modelfleet.protocol.Dsse;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What a simulated device does with a desired state: the agent's own verifier checks it, each
 * new artifact is downloaded and checked, and progress goes up as a real agent reports it,
 * except that "loading" is instant because there is no ONNX Runtime behind it.
 */
final class DesiredStateApplier {

  /** Where the device stands for the fleet's tally. */
  enum Outcome { NOTHING_ASSIGNED, DEPLOYING, ACTIVE, FAILED }

  private final DesiredStateVerifier verifier;
  private final HardwareProfile hardware;
  private final AgentServiceGrpc.AgentServiceStub stub;
  private final Consumer<DeploymentProgress> report;
  private final FleetCounters counters;

  // All guarded by this: sync and download callbacks arrive on different gRPC threads.
  private long acceptedGeneration;
  private String acceptedPayloadSha256 = "";
  private final Map<String, InstalledModel> installed = new HashMap<>();
  private final Map<String, DeploymentState> states = new HashMap<>();
  private final Map<String, String> downloading = new HashMap<>();
  private boolean documentRefused;

  DesiredStateApplier(DesiredStateVerifier verifier, HardwareProfile hardware,
      AgentServiceGrpc.AgentServiceStub stub, Consumer<DeploymentProgress> report,
      FleetCounters counters) {
    this.verifier = verifier;
    this.hardware = hardware;
    this.stub = stub;
    this.report = report;
    this.counters = counters;
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
    Set<String> wanted = new HashSet<>();
    for (DesiredModel model : state.getModelsList()) {
      wanted.add(model.getModel());
      deploy(model, state.getGeneration());
    }
    // Models no longer desired are simply forgotten: there is nothing loaded to unload.
    installed.keySet().retainAll(wanted);
    states.keySet().retainAll(wanted);
    downloading.keySet().retainAll(wanted);
  }

  private void deploy(DesiredModel model, long generation) {
    DeploymentProgress.Builder progress = DeploymentProgress.newBuilder()
        .setModel(model.getModel()).setVersion(model.getVersion()).setGeneration(generation);
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
    if ((have != null && have.getSha256().equals(manifest.getSha256()))
        || manifest.getSha256().equals(downloading.get(model.getModel()))) {
      return; // a re-sent document (every reconnect): already serving or fetching this one
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
    counters.downloads.increment();
    ArtifactCheck.start(stub, manifest, (reasonCode, reason) ->
        downloaded(model, manifest, generation, progress, reasonCode, reason));
  }

  private synchronized void downloaded(DesiredModel model, VariantManifest manifest,
      long generation, DeploymentProgress.Builder progress, String reasonCode, String reason) {
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
    installed.put(model.getModel(), InstalledModel.newBuilder().setModel(model.getModel())
        .setVersion(model.getVersion()).setVariantId(manifest.getVariantId())
        .setSha256(manifest.getSha256()).setActive(true).build());
    states.put(model.getModel(), DeploymentState.DEPLOYMENT_STATE_ACTIVE);
    report.accept(progress.setState(DeploymentState.DEPLOYMENT_STATE_ACTIVE)
        .setExecutionProviderUsed(manifest.getExecutionProvider()).build());
  }

  /** The needs a manifest states that this device's profile does not meet, or null. */
  private String unfitReason(DesiredModel model, VariantManifest manifest) {
    if (!manifest.getModel().equals(model.getModel())) {
      return "the manifest is for model '" + manifest.getModel() + "', listed as '"
          + model.getModel() + "'";
    }
    if (!manifest.getArch().isEmpty() && !manifest.getArch().equals(hardware.getArch())) {
      return "the variant needs " + manifest.getArch() + ", this device is " + hardware.getArch();
    }
    if (manifest.getMinMemoryBytes() > hardware.getMemoryTotalBytes()) {
      return "the variant needs " + manifest.getMinMemoryBytes() + " bytes of memory, this device"
          + " has " + hardware.getMemoryTotalBytes();
    }
    if (!hardware.getCpuFlagsList().containsAll(manifest.getRequiredCpuFlagsList())) {
      return "the variant needs CPU flags " + manifest.getRequiredCpuFlagsList();
    }
    return null;
  }

  private static DeploymentProgress failed(DeploymentProgress.Builder progress, String code,
      String reason) {
    return progress.setState(DeploymentState.DEPLOYMENT_STATE_FAILED).setReasonCode(code)
        .setReason(reason).build();
  }

  synchronized List<InstalledModel> installed() {
    return List.copyOf(installed.values());
  }

  synchronized long acceptedGeneration() {
    return acceptedGeneration;
  }

  synchronized Outcome outcome() {
    if (documentRefused || states.containsValue(DeploymentState.DEPLOYMENT_STATE_FAILED)) {
      return Outcome.FAILED;
    }
    if (states.isEmpty()) {
      return Outcome.NOTHING_ASSIGNED;
    }
    boolean allActive = states.values().stream()
        .allMatch(s -> s == DeploymentState.DEPLOYMENT_STATE_ACTIVE);
    return allActive ? Outcome.ACTIVE : Outcome.DEPLOYING;
  }
}
