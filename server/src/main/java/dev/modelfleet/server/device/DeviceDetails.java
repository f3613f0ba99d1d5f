package dev.modelfleet.server.device;

import dev.modelfleet.server.hardware.HardwareInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One device as operators see it: what it is and reported, and what other features recorded about
 * it (what it was told to run, how its deployments went, where ONNX Runtime ran a variant on
 * another provider). Those parts are shaped here and filled through {@link DeviceDeployments} and
 * {@link DeviceMismatches}, which the features that own the data implement: device depends on none
 * of them.
 */
public record DeviceDetails(
    UUID id,
    String name,
    Map<String, String> labels,
    DeviceStatus status,
    Instant enrolledAt,
    Instant lastSeenAt,
    Instant decommissionedAt,
    HardwareInfo hardware,
    String hardwareClassId,
    BenchmarkInfo benchmark,
    List<InstalledModelInfo> installed,
    DesiredView desired,
    List<DeploymentView> deployments,
    List<MismatchView> providerMismatches,
    Instant approvalDecidedAt,
    String approvalDecidedBy,
    AgentInfo agent) {

  /** The device's current desired state: its generation, lifetime and models. */
  public record DesiredView(
      long generation, Instant issuedAt, Instant expiresAt, List<DesiredModelView> models) {}

  public record DesiredModelView(
      String model,
      String version,
      UUID variantId,
      String precision,
      String executionProvider,
      String sha256,
      long size) {}

  /** How the deployment of one model went, as the device last reported it. */
  public record DeploymentView(
      String model,
      String version,
      UUID variantId,
      long generation,
      String state,
      String reason,
      String reasonCode,
      long bytesDone,
      long bytesTotal,
      String executionProviderUsed,
      boolean deliveredByDelta,
      String deltaFallbackReason,
      boolean deliveredCompressed,
      String compressedFallbackReason,
      Instant updatedAt) {}

  /** A variant that ONNX Runtime ran on another execution provider than it was matched for. */
  public record MismatchView(
      String model,
      String version,
      UUID variantId,
      String expectedProvider,
      String usedProvider,
      String source,
      Instant observedAt) {}

  public static DeviceDetails of(
      Device d, DeviceDeployments deployments, DeviceMismatches mismatches) {
    return new DeviceDetails(
        d.id,
        d.name,
        d.labels,
        d.status,
        d.enrolledAt,
        d.lastSeenAt,
        d.decommissionedAt,
        d.hardware,
        d.hardwareClassId,
        d.benchmark,
        d.installed,
        deployments.desired(d.id).orElse(null),
        deployments.deployments(d.id),
        mismatches.ofDevice(d.id),
        d.approvalDecidedAt,
        d.approvalDecidedBy,
        new AgentInfo(d.agentVersion, d.agentProtocol, d.agentConfigVersion));
  }
}
