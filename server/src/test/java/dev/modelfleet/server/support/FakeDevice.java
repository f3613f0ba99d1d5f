package dev.modelfleet.server.support;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.DeploymentState;
import dev.modelfleet.protocol.agent.v1.DesiredModel;
import dev.modelfleet.protocol.agent.v1.DesiredState;
import dev.modelfleet.protocol.agent.v1.HardwareProfile;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.ModelCounters;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.ShadowFigures;
import dev.modelfleet.protocol.agent.v1.VariantManifest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An enrolled device on a real Sync stream that answers each desired state the way an agent does
 * (ACTIVE, or FAILED, or nothing), as its {@link Reaction} for that version says, and sends
 * heartbeats with inference figures on request. Signatures are not checked here: the agent's
 * verification has its own tests; these tests are about what the server decides.
 */
public final class FakeDevice implements AutoCloseable {

  /** What the device does with a desired model of a given version. */
  public enum Reaction {
    ACTIVATE,
    FAIL,
    IGNORE
  }

  public final String id;
  private final AgentClient.SyncStream stream;
  private final Function<String, Reaction> reactions;

  /** What the device runs now, per model: version, variant id and its provider. */
  private final Map<String, String[]> running = new ConcurrentHashMap<>();

  private final Thread reader;
  private volatile String providerUsedOverride;
  private final Map<String, ModelCounters> figures = new java.util.LinkedHashMap<>();

  /** The shadow candidate version of each model in the latest desired state ("" for none). */
  private final Map<String, String> shadows = new ConcurrentHashMap<>();

  private final Map<String, dev.modelfleet.protocol.agent.v1.ShadowCandidate> shadowCandidates =
      new ConcurrentHashMap<>();

  private final Map<String, Boolean> downgradeAllowed = new ConcurrentHashMap<>();

  /** Every version any desired state told the device to serve, per model. */
  private final Map<String, java.util.Set<String>> toldToServe = new ConcurrentHashMap<>();

  public FakeDevice(
      AgentClient agent,
      String token,
      HardwareProfile hardware,
      Function<String, Reaction> reactions)
      throws Exception {
    var enrolled = agent.enroll(token, AgentClient.newDevicePublicKey(), hardware);
    this.id = enrolled.getDeviceId();
    this.reactions = reactions;
    this.stream = agent.sync(enrolled.getDeviceCredential());
    stream.hello(hardware);
    reader = new Thread(this::react, "fake-device-" + id);
    reader.setDaemon(true);
    reader.start();
  }

  /** Reports ACTIVE with this provider instead of the variant's (a silent fallback). */
  public FakeDevice reportProvider(String provider) {
    providerUsedOverride = provider;
    return this;
  }

  /** The version of {@code model} the device runs now, or null. */
  public String runs(String model) {
    String[] r = running.get(model);
    return r == null ? null : r[0];
  }

  /**
   * Sets the figures of {@code version} of {@code model} and sends a heartbeat. Like the agent,
   * every heartbeat repeats the figures of every version served so far (the server keeps only a
   * device's newest heartbeat when it falls behind).
   */
  public synchronized void heartbeat(
      String model, String version, long requests, long errors, double p95Ms) {
    figures.put(
        model + "@" + version,
        ModelCounters.newBuilder()
            .setModel(model)
            .setVersion(version)
            .setRequests(requests)
            .setErrors(errors)
            .setP50Ms(p95Ms / 2)
            .setP95Ms(p95Ms)
            .build());
    stream.send(
        AgentMessage.newBuilder()
            .setHeartbeat(
                Heartbeat.newBuilder()
                    .setSentAtMs(System.currentTimeMillis())
                    .addAllCounters(figures.values()))
            .build());
  }

  /** The candidate version the device is told to run as a shadow of {@code model}, or null. */
  /** Whether the last signed desired state allowed this model to go back to an older version. */
  public boolean downgradeAllowed(String model) {
    return downgradeAllowed.getOrDefault(model, false);
  }

  /**
   * The shadow candidate of {@code model} in the latest desired state, as signed (default: none).
   */
  public dev.modelfleet.protocol.agent.v1.ShadowCandidate shadowCandidate(String model) {
    return shadowCandidates.getOrDefault(
        model, dev.modelfleet.protocol.agent.v1.ShadowCandidate.getDefaultInstance());
  }

  public String shadowOf(String model) {
    String version = shadows.get(model);
    return version == null || version.isEmpty() ? null : version;
  }

  /** Whether any desired state ever told the device to serve {@code version} of {@code model}. */
  public boolean everToldToServe(String model, String version) {
    return toldToServe.getOrDefault(model, java.util.Set.of()).contains(version);
  }

  /** Sends a heartbeat with the aggregates of a shadow candidate, as an agent does. */
  public synchronized void shadowHeartbeat(ShadowFigures shadow) {
    stream.send(
        AgentMessage.newBuilder()
            .setHeartbeat(
                Heartbeat.newBuilder()
                    .setSentAtMs(System.currentTimeMillis())
                    .addAllCounters(figures.values())
                    .addShadows(shadow))
            .build());
  }

  private void react() {
    try {
      while (!Thread.currentThread().isInterrupted()) {
        ServerMessage message = stream.received.poll(100, TimeUnit.MILLISECONDS);
        if (message != null && message.hasDesiredState()) {
          apply(DesiredState.parseFrom(message.getDesiredState().getPayload()));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private void apply(DesiredState state) throws InvalidProtocolBufferException {
    for (DesiredModel model : state.getModelsList()) {
      downgradeAllowed.put(model.getModel(), model.getAllowDowngrade());
      shadows.put(model.getModel(), model.hasShadow() ? model.getShadow().getVersion() : "");
      shadowCandidates.put(model.getModel(), model.getShadow());
      toldToServe
          .computeIfAbsent(model.getModel(), k -> ConcurrentHashMap.newKeySet())
          .add(model.getVersion());
      VariantManifest manifest = VariantManifest.parseFrom(model.getManifest().getPayload());
      String[] now = running.get(model.getModel());
      if (now != null && now[1].equals(manifest.getVariantId())) {
        continue;
      }
      Reaction reaction = reactions.apply(model.getVersion());
      DeploymentProgress.Builder progress =
          DeploymentProgress.newBuilder()
              .setModel(model.getModel())
              .setVersion(model.getVersion())
              .setVariantId(manifest.getVariantId())
              .setGeneration(state.getGeneration());
      switch (reaction) {
        case IGNORE -> {}
        case FAIL ->
            send(
                progress
                    .setState(DeploymentState.DEPLOYMENT_STATE_FAILED)
                    .setReasonCode("load-failed")
                    .setReason("the test device refuses this version"));
        case ACTIVATE -> {
          String provider =
              providerUsedOverride != null ? providerUsedOverride : manifest.getExecutionProvider();
          running.put(model.getModel(), new String[] {model.getVersion(), manifest.getVariantId()});
          send(
              progress
                  .setState(DeploymentState.DEPLOYMENT_STATE_ACTIVE)
                  .setExecutionProviderUsed(provider));
        }
      }
    }
  }

  private void send(DeploymentProgress.Builder progress) {
    stream.send(AgentMessage.newBuilder().setProgress(progress).build());
  }

  @Override
  public void close() {
    reader.interrupt();
    stream.cancel();
  }
}
