package dev.modelfleet.server.matching;

import dev.modelfleet.server.hardware.CpuFlags;
import dev.modelfleet.server.model.Variant;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/** A variant as the matcher reads it: its needs, its cost and what the tie-breaks compare. */
public record VariantSpec(
    UUID id,
    String precision,
    String executionProvider,
    String arch,
    List<String> requiredCpuFlags,
    long minMemoryBytes,
    Double accuracy,
    long matmulMacs,
    long convMacs,
    long size,
    Instant createdAt,
    String sha256,
    int minProtocol,
    int minConfigVersion) {

  /** A variant that needs no protocol revision or config-version (every model's). */
  public VariantSpec(
      UUID id,
      String precision,
      String executionProvider,
      String arch,
      List<String> requiredCpuFlags,
      long minMemoryBytes,
      Double accuracy,
      long matmulMacs,
      long convMacs,
      long size,
      Instant createdAt,
      String sha256) {
    this(
        id,
        precision,
        executionProvider,
        arch,
        requiredCpuFlags,
        minMemoryBytes,
        accuracy,
        matmulMacs,
        convMacs,
        size,
        createdAt,
        sha256,
        0,
        0);
  }

  public VariantSpec(
      UUID id,
      String precision,
      String executionProvider,
      String arch,
      List<String> requiredCpuFlags,
      long minMemoryBytes,
      Double accuracy,
      long matmulMacs,
      long convMacs,
      long size,
      Instant createdAt) {
    this(
        id,
        precision,
        executionProvider,
        arch,
        requiredCpuFlags,
        minMemoryBytes,
        accuracy,
        matmulMacs,
        convMacs,
        size,
        createdAt,
        null);
  }

  /**
   * The disk a device needs free to install the variant: the artifact, and as much again for the
   * work of getting it (a delta and the file rebuilt from it, or a partial download beside the
   * previous version). The version it replaces stays as the rollback copy; it is on the device
   * already, so its room is taken, not needed.
   */
  long diskNeed() {
    return 2 * size;
  }

  public static VariantSpec of(Variant v) {
    return new VariantSpec(
        v.id,
        v.precision,
        v.executionProvider.toLowerCase(Locale.ROOT),
        v.arch,
        List.copyOf(CpuFlags.normalizeAll(v.requiredCpuFlags)),
        v.minMemoryBytes,
        v.accuracy,
        v.matmulMacs,
        v.convMacs,
        v.size,
        v.createdAt,
        v.sha256,
        v.minProtocol,
        v.minConfigVersion);
  }

  /** The memory the variant takes: its declared minimum, else the artifact's size. */
  long memoryNeed() {
    return minMemoryBytes > 0 ? minMemoryBytes : size;
  }

  /** fp32 > fp16/bf16 > int8 > anything else: more bits, closer to the reference. */
  int precisionRank() {
    return switch (precision) {
      case "fp32" -> 3;
      case "fp16", "bf16" -> 2;
      case "int8", "uint8" -> 1;
      default -> 0;
    };
  }

  String label() {
    String flags = String.join("+", requiredCpuFlags);
    String needs = arch.isEmpty() || flags.isEmpty() ? arch + flags : arch + "+" + flags;
    return precision + "/" + executionProvider + (needs.isEmpty() ? "" : " (" + needs + ")");
  }
}
