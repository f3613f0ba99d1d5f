package dev.modelfleet.server.agentapi;

import dev.modelfleet.protocol.agent.v1.AgentMessage;
import dev.modelfleet.protocol.agent.v1.DeploymentProgress;
import dev.modelfleet.protocol.agent.v1.Heartbeat;
import dev.modelfleet.protocol.agent.v1.Hello;
import dev.modelfleet.protocol.agent.v1.ReportAck;
import dev.modelfleet.protocol.agent.v1.ServerMessage;
import dev.modelfleet.protocol.agent.v1.SignedEnvelope;
import dev.modelfleet.protocol.agent.v1.SyncConfig;
import dev.modelfleet.server.assignment.DeploymentService;
import dev.modelfleet.server.assignment.DesiredStateService;
import dev.modelfleet.server.assignment.ProgressIngest;
import dev.modelfleet.server.common.ModelFleetConfig;
import dev.modelfleet.server.device.AgentInfo;
import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.device.DeviceActivityService;
import dev.modelfleet.server.device.DeviceApproved;
import dev.modelfleet.server.device.DeviceStatus;
import dev.modelfleet.server.device.InstalledModelInfo;
import dev.modelfleet.server.device.heartbeat.HeartbeatIngest;
import dev.modelfleet.server.device.heartbeat.ModelHealthInfo;
import dev.modelfleet.server.device.heartbeat.ShadowFiguresStore;
import dev.modelfleet.server.hardware.HardwareInfo;
import dev.modelfleet.server.signing.RootMetadataChain;
import dev.modelfleet.server.trial.TrialReports;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.TransactionPhase;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

/** What a Sync stream does with each agent message, over the feature services. */
@ApplicationScoped
class SyncService {

  /** Why a rejected device's calls end: its agent logs it and stops syncing. */
  static final String REJECTED =
      "an operator rejected this device; it must be enrolled again (with a new identity) to join";

  private static final String DECOMMISSIONED =
      "the device was decommissioned; it must be enrolled again";

  private final DeviceActivityService activity;
  private final HeartbeatIngest heartbeats;
  private final DeploymentService deployments;
  private final ProgressIngest progressIngest;
  private final DesiredStateService desiredStates;
  private final DeviceSessions sessions;
  private final ModelFleetConfig config;
  private final ArtifactLocation artifactLocation;
  private final TrialReports trialReports;
  private final RootMetadataChain roots;
  private final ArtifactUrlIssuer artifactUrls;
  private final ShadowFiguresStore shadowFigures;
  private final Clock clock;

  SyncService(
      DeviceActivityService activity,
      HeartbeatIngest heartbeats,
      DeploymentService deployments,
      ProgressIngest progressIngest,
      DesiredStateService desiredStates,
      DeviceSessions sessions,
      ModelFleetConfig config,
      ArtifactLocation artifactLocation,
      TrialReports trialReports,
      RootMetadataChain roots,
      ArtifactUrlIssuer artifactUrls,
      ShadowFiguresStore shadowFigures,
      Clock clock) {
    this.shadowFigures = shadowFigures;
    this.roots = roots;
    this.activity = activity;
    this.heartbeats = heartbeats;
    this.deployments = deployments;
    this.progressIngest = progressIngest;
    this.desiredStates = desiredStates;
    this.sessions = sessions;
    this.config = config;
    this.artifactLocation = artifactLocation;
    this.trialReports = trialReports;
    this.artifactUrls = artifactUrls;
    this.clock = clock;
  }

  /**
   * Registers the stream before reading the desired state, so a change committed in between is
   * pushed rather than lost; the session drops a generation it already sent.
   */
  void hello(SyncSession session, Hello hello) {
    UUID deviceId = session.deviceId();
    DeviceStatus status =
        activity.hello(
            deviceId,
            HardwareInfo.from(hello.getHardware()),
            hello.getHardware().hasBenchmark()
                ? BenchmarkInfo.from(hello.getHardware().getBenchmark())
                : null,
            InstalledModelInfo.from(hello.getInstalledList()),
            new AgentInfo(
                hello.getAgentVersion().isEmpty()
                    ? hello.getHardware().getAgentVersion()
                    : hello.getAgentVersion(),
                hello.getProtocol(),
                hello.getConfigVersion()));
    if (status == DeviceStatus.ACTIVE) {
      // what it serves stands for an ACTIVE report the database may have missed
      deployments.reconcileInstalled(
          deviceId,
          hello.getAcceptedGeneration(),
          InstalledModelInfo.from(hello.getInstalledList()));
    }
    session.sendConfig(syncConfig(status == DeviceStatus.PENDING));
    // root versions before any desired state: a document may be signed by keys only they list
    session.helloRootVersion(hello.getRootVersion());
    session.sendRootUpdate(roots.rootChain());
    sessions.register(session);
    // the credential was checked when the stream opened; an approval, rejection or
    // decommissioning committed since then found no registered stream, so check again now
    reconcile(session);
  }

  /**
   * Brings a registered stream in line with its device's status now: a pending device gets nothing
   * more; an approved one is told it is approved, then gets its desired state; a rejected or
   * decommissioned one loses its stream.
   */
  void reconcile(SyncSession session) {
    UUID deviceId = session.deviceId();
    DeviceStatus status = activity.status(deviceId);
    if (status == DeviceStatus.PENDING) {
      return;
    }
    if (status == DeviceStatus.REJECTED) {
      session.close(Status.PERMISSION_DENIED.withDescription(REJECTED));
      return;
    }
    if (status != DeviceStatus.ACTIVE) {
      session.close(Status.UNAUTHENTICATED.withDescription(DECOMMISSIONED));
      return;
    }
    session.approve(syncConfig(false));
    desiredStates.currentFor(deviceId).ifPresent(session::sendDesiredState);
  }

  /**
   * An approval made on this replica reaches the device's stream here, if it is open here. No
   * database work after commit: a pending device has no desired state (nothing selects it), so the
   * config is all there is to send; its own NOTIFY, handled by RemoteChanges on this replica too,
   * re-checks and sends a desired state if one was made meanwhile.
   */
  void approved(@Observes(during = TransactionPhase.AFTER_SUCCESS) DeviceApproved event) {
    sessions.find(event.deviceId()).ifPresent(session -> session.approve(syncConfig(false)));
  }

  private SyncConfig syncConfig(boolean awaitingApproval) {
    return artifactLocation
        .describe(
            SyncConfig.newBuilder()
                .setHeartbeatIntervalSeconds((int) config.heartbeatInterval().toSeconds())
                .setAwaitingApproval(awaitingApproval)
                // numbered reports are acknowledged once stored (ProgressIngest's onStored)
                .setAcksReports(true))
        .build();
  }

  void handle(SyncSession session, AgentMessage message) {
    switch (message.getKindCase()) {
      case HEARTBEAT -> {
        Heartbeat heartbeat = message.getHeartbeat();
        if (heartbeat.getQueuedForMs() > 0) {
          // made while the device was offline: its figures at their time, nothing about now
          heartbeats.backdated(
              session.deviceId(),
              heartbeat.getQueuedForMs(),
              ModelHealthInfo.from(heartbeat.getCountersList()));
          return;
        }
        heartbeats.heartbeat(
            session.deviceId(),
            heartbeat.getSentAtMs(),
            InstalledModelInfo.from(heartbeat.getInstalledList()),
            ModelHealthInfo.from(heartbeat.getCountersList()),
            AgentInfo.version(heartbeat.getAgentVersion()));
        if (heartbeat.getShadowsCount() > 0) {
          shadowFigures.record(session.deviceId(), heartbeat.getShadowsList());
        }
        // a device that stays connected never says Hello again: re-sign its document here
        // before it expires (currentFor re-signs past half its lifetime)
        if (session.desiredStateAging(clock.millis())) {
          desiredStates.currentFor(session.deviceId()).ifPresent(session::sendDesiredState);
        }
      }
      case PROGRESS -> {
        DeploymentProgress progress = message.getProgress();
        progressIngest.submit(
            session.deviceId(),
            progress,
            failure -> session.close(GrpcErrors.toStatus(failure).getStatus()),
            progress.getReportSeq() > 0 ? () -> session.send(ack(progress)) : () -> {});
      }
      case BENCHMARK ->
          activity.benchmark(session.deviceId(), BenchmarkInfo.from(message.getBenchmark()));
      case TRIAL -> trialReports.record(session.deviceId(), message.getTrial());
      case ARTIFACT_URL_REQUEST ->
          artifactUrls
              .forRequest(session.deviceId(), message.getArtifactUrlRequest())
              .ifPresent(session::send);
      default -> {} // a second Hello changes nothing; unknown kinds come from newer agents
    }
  }

  /** Tells the agent a numbered report is stored, and every one it sent before. */
  private static ServerMessage ack(DeploymentProgress progress) {
    return ServerMessage.newBuilder()
        .setReportAck(
            ReportAck.newBuilder()
                .setReportQueue(progress.getReportQueue())
                .setReportSeq(progress.getReportSeq()))
        .build();
  }

  /** Presigned download addresses for what a desired state names (object storage only). */
  java.util.Optional<dev.modelfleet.protocol.agent.v1.ServerMessage> artifactUrls(
      dev.modelfleet.protocol.agent.v1.DesiredState state) {
    return artifactUrls.forDesiredState(state);
  }

  List<SignedEnvelope> rootChain() {
    return roots.rootChain();
  }

  void closed(SyncSession session) {
    sessions.remove(session);
  }
}
