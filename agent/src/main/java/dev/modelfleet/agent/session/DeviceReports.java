package dev.modelfleet.agent.session;

import dev.modelfleet.agent.runtime.ModelRegistry;
import dev.modelfleet.agent.runtime.ServedModel;
import dev.modelfleet.agent.runtime.ShadowModel;
import dev.modelfleet.agent.runtime.VersionStats;
import dev.modelfleet.agent.state.ActiveModel;
import dev.modelfleet.agent.state.StateStore;
import dev.modelfleet.protocol.ProtocolRevision;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.InstalledModel;
import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.protocol.agent.v1.ShadowFigures;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the device tells the control plane about itself: the Hello that opens every session
 * (hardware, installed models, accepted generation, root version) and each heartbeat (installed
 * models and the serving figures of every version).
 */
public final class DeviceReports {

  private final Supplier<HardwareProfile> hardware;
  private final StateStore store;
  private final ModelRegistry registry;
  private final LongSupplier rootVersion;
  private String agentVersion = "";
  private int configVersion;

  /**
   * @param rootVersion the root metadata version trusted now; the server sends the versions after
   *     it
   */
  public DeviceReports(
      Supplier<HardwareProfile> hardware,
      StateStore store,
      ModelRegistry registry,
      LongSupplier rootVersion) {
    this.hardware = hardware;
    this.store = store;
    this.registry = registry;
    this.rootVersion = rootVersion;
  }

  /**
   * Names the agent release running and its configuration's config-version in every Hello and
   * heartbeat, with the protocol revision this build speaks.
   */
  public DeviceReports reportingAgent(String version, int configVersion) {
    this.agentVersion = version;
    this.configVersion = configVersion;
    return this;
  }

  public Hello hello() {
    return Hello.newBuilder()
        .setHardware(hardware.get())
        .addAllInstalled(installed())
        .setAcceptedGeneration(store.current().acceptedGeneration())
        .setRootVersion(rootVersion.getAsLong())
        .setAgentVersion(agentVersion)
        .setProtocol(ProtocolRevision.CURRENT)
        .setConfigVersion(configVersion)
        .build();
  }

  public Heartbeat heartbeat() {
    Heartbeat.Builder beat =
        Heartbeat.newBuilder()
            .setSentAtMs(System.currentTimeMillis())
            .addAllInstalled(installed())
            .setAgentVersion(agentVersion);
    registry.figures().forEach(figures -> beat.addCounters(counters(figures)));
    registry.shadows().forEach(shadow -> beat.addShadows(shadowFigures(shadow.figures())));
    registry.shadowFailures().forEach(failure -> beat.addShadows(shadowFailure(failure)));
    return beat.build();
  }

  /** A candidate that never ran: no counts, only why, so the server's gate need not wait. */
  private ShadowFigures shadowFailure(ModelRegistry.ShadowFailure failure) {
    ServedModel serving = registry.peek(failure.model());
    return ShadowFigures.newBuilder()
        .setModel(failure.model())
        .setServingVersion(serving == null ? "" : serving.version())
        .setCandidateVersion(failure.version())
        .setComparison(failure.comparison())
        .setLoadFailure(failure.reason())
        .build();
  }

  /** Aggregates only: no input or output of a sampled request ever leaves the device. */
  private static ShadowFigures shadowFigures(ShadowModel.Figures f) {
    return ShadowFigures.newBuilder()
        .setModel(f.model())
        .setServingVersion(f.servingVersion())
        .setCandidateVersion(f.candidateVersion())
        .setComparison(f.comparison())
        .setCompared(f.compared())
        .setCandidateFailures(f.candidateFailures())
        .setDropped(f.dropped())
        .setValue(f.value())
        .setPasses(f.passes())
        .setCandidateP50Ms(f.candidateP50Ms())
        .setCandidateP95Ms(f.candidateP95Ms())
        .setServingP50Ms(f.servingP50Ms())
        .setServingP95Ms(f.servingP95Ms())
        .setNotApplicable(f.notApplicable())
        .setValidationCompared(f.validationCompared())
        .build();
  }

  private static ModelCounters counters(VersionStats.Snapshot figures) {
    return ModelCounters.newBuilder()
        .setModel(figures.model())
        .setVersion(figures.version())
        .setVariantId(figures.variantId())
        .setRequests(figures.requests())
        .setErrors(figures.errors())
        .setP50Ms(figures.p50Ms())
        .setP95Ms(figures.p95Ms())
        .setExecutionProviderUsed(figures.executionProvider())
        .build();
  }

  /** The models the device has activated; active means serving that very artifact now. */
  private List<InstalledModel> installed() {
    List<InstalledModel> installed = new ArrayList<>();
    for (ActiveModel model : store.current().activeModels()) {
      ServedModel served = registry.peek(model.model());
      installed.add(
          InstalledModel.newBuilder()
              .setModel(model.model())
              .setVersion(model.version())
              .setVariantId(model.variantId())
              .setSha256(model.sha256())
              .setActive(served != null && served.sha256().equals(model.sha256()))
              .build());
    }
    return installed;
  }
}
