package dev.modelfleet.server.matching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.protocol.ProtocolRevision;
import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.hardware.HardwareInfo;
import dev.modelfleet.server.matching.MatchViews.Candidate;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The matcher over a table of device profiles and one version with five builds. The int8 CPU builds
 * need the instruction that makes int8 fast on their arch (VNNI on x86, dotprod on ARM): without it
 * ONNX Runtime's int8 kernels are no faster than fp32 and lose accuracy for nothing, so a device
 * without it is better served by fp32.
 */
class VariantMatcherTest {

  static final long GIB = 1024L * 1024 * 1024;
  static final long MACS = 400_000_000L;

  static final VariantSpec FP32_CPU = variant("fp32", "cpu", "", List.of(), 2 * GIB, null, 0);
  static final VariantSpec INT8_CPU_X86 =
      variant("int8", "cpu", "x86_64", List.of("avx512_vnni"), GIB, 0.985, 1);
  static final VariantSpec INT8_CPU_ARM =
      variant("int8", "cpu", "aarch64", List.of("dotprod"), GIB, 0.985, 2);
  static final VariantSpec FP16_CUDA =
      variant("fp16", "cuda", "x86_64", List.of(), 4 * GIB, 0.999, 3);
  static final VariantSpec INT8_NPU = variant("int8", "openvino", "", List.of(), GIB, 0.97, 4);
  static final List<VariantSpec> VERSION =
      List.of(FP32_CPU, INT8_CPU_X86, INT8_CPU_ARM, FP16_CUDA, INT8_NPU);

  static DeviceProfile device(String name) {
    return switch (name) {
      case "x86-vnni" ->
          profile(
              "x86_64",
              List.of("avx2", "avx512f", "avx512_vnni"),
              List.of("cpu"),
              8 * GIB,
              fig("cpu", "fp32", 60),
              fig("cpu", "int8", 240));
      case "x86-plain" ->
          profile(
              "x86_64",
              List.of("avx2", "fma"),
              List.of("cpu"),
              8 * GIB,
              fig("cpu", "fp32", 60),
              fig("cpu", "int8", 70));
      case "arm-dotprod" ->
          profile(
              "aarch64",
              List.of("asimd", "asimddp"),
              List.of("cpu"),
              4 * GIB,
              fig("cpu", "fp32", 20),
              fig("cpu", "int8", 80));
      case "cuda-box" ->
          profile(
              "x86_64",
              List.of("avx2"),
              List.of("cpu", "cuda"),
              32 * GIB,
              fig("cpu", "fp32", 60),
              fig("cuda", "fp16", 9000));
      case "npu-box" ->
          profile(
              "x86_64",
              List.of("avx2"),
              List.of("cpu", "openvino"),
              8 * GIB,
              fig("cpu", "fp32", 40),
              fig("openvino", "int8", 900));
      case "tiny-ram" ->
          profile("x86_64", List.of("avx2"), List.of("cpu"), GIB / 2, fig("cpu", "fp32", 60));
      default -> throw new IllegalArgumentException(name);
    };
  }

  @ParameterizedTest(name = "{0} gets {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
      x86-vnni    | int8/cpu (x86_64+avx512_vnni) | benchmark
      x86-plain   | fp32/cpu                      | benchmark
      arm-dotprod | int8/cpu (aarch64+dotprod)    | benchmark
      cuda-box    | fp16/cuda (x86_64)            | benchmark
      npu-box     | int8/openvino                 | benchmark
      """)
  void eachDeviceGetsTheFastestVariantItCanRun(String device, String expected, String source) {
    MatchDecision decision = VariantMatcher.match(device(device), VERSION, ClassTrials.NONE, null);
    assertEquals(expected, label(decision.chosen()), decision.reason());
    assertEquals(source, decision.chosen().source());
    assertEquals(1, decision.chosen().rank());
    assertTrue(decision.reason().startsWith("chose " + expected), decision.reason());
    assertEquals(VERSION.size(), decision.candidates().size(), "every variant is explained");
  }

  @Test
  void dropReasonsNameEveryUnmetNeed() {
    MatchDecision plain =
        VariantMatcher.match(device("x86-plain"), VERSION, ClassTrials.NONE, null);
    assertEquals("needs CPU flag avx512_vnni, which the device lacks", reason(plain, INT8_CPU_X86));
    assertEquals(
        "needs arch aarch64, the device is x86_64; needs CPU flag dotprod, which the device lacks",
        reason(plain, INT8_CPU_ARM));
    assertEquals(
        "execution provider cuda is not among the device's providers [cpu]",
        reason(plain, FP16_CUDA));
    assertEquals(
        "execution provider openvino is not among the device's providers [cpu]",
        reason(plain, INT8_NPU));
  }

  @Test
  void deviceWithTooLittleMemoryGetsNothingAndIsToldWhy() {
    MatchDecision decision =
        VariantMatcher.match(device("tiny-ram"), VERSION, ClassTrials.NONE, null);
    assertNull(decision.chosen());
    assertEquals("needs 2.00 GiB of memory, the device has 0.50 GiB", reason(decision, FP32_CPU));
    assertTrue(
        decision.reason().startsWith("no variant fits this device: fp32/cpu: needs 2.00 GiB"),
        decision.reason());
  }

  @Test
  void estimateIsMacsOverMeasuredThroughput() {
    MatchDecision decision =
        VariantMatcher.match(device("x86-vnni"), VERSION, ClassTrials.NONE, null);
    // 400 MMAC at 240 GMAC/s = 1.667 ms; at 60 GMAC/s = 6.667 ms
    assertEquals(1.6667, decision.chosen().estimatedMs(), 1e-3);
    assertEquals(6.6667, candidate(decision, FP32_CPU).estimatedMs(), 1e-3);
    assertEquals(2, candidate(decision, FP32_CPU).rank());
  }

  @Test
  void anAgentReleaseTheDeviceWouldRefuseIsNotAssignedAndTheMatchSaysWhy() {
    VariantSpec plain = variant("jar", "cpu", "x86_64", List.of(), 0, null, 1);
    VariantSpec needs = plain;
    VariantSpec newProtocol =
        new VariantSpec(
            UUID.randomUUID(),
            "jar",
            "cpu",
            "x86_64",
            List.of(),
            0,
            null,
            0,
            0,
            1000,
            Instant.EPOCH,
            null,
            ProtocolRevision.CURRENT + 1,
            0);
    VariantSpec newConfig =
        new VariantSpec(
            UUID.randomUUID(),
            "jar",
            "cpu",
            "x86_64",
            List.of(),
            0,
            null,
            0,
            0,
            1000,
            Instant.EPOCH,
            null,
            0,
            2);
    DeviceProfile device = profile("x86_64", List.of(), List.of("cpu"), GIB);
    MatchDecision decision =
        VariantMatcher.match(
            device, List.of(needs, newProtocol, newConfig), ClassTrials.NONE, null);
    assertEquals(plain.id(), decision.chosen().variantId());
    String protocolWhy = candidate(decision, newProtocol).reason();
    assertTrue(
        protocolWhy.contains("needs protocol revision " + (ProtocolRevision.CURRENT + 1)),
        protocolWhy);
    String configWhy = candidate(decision, newConfig).reason();
    assertTrue(
        configWhy.contains("needs config-version 2 in agent.properties, the device's is 1"),
        configWhy);

    DeviceProfile updated =
        new DeviceProfile(
            device.deviceId(),
            device.hardwareClassId(),
            true,
            device.arch(),
            device.cpuFlags(),
            device.executionProviders(),
            device.memoryBytes(),
            device.gmacsByFigure(),
            0,
            java.util.Set.of(),
            2);
    assertTrue(
        candidate(
                VariantMatcher.match(updated, List.of(newConfig), ClassTrials.NONE, null),
                newConfig)
            .kept());
  }

  @Test
  void convWorkUsesTheConvFigure() {
    VariantSpec convNet =
        new VariantSpec(
            UUID.randomUUID(),
            "fp32",
            "cpu",
            "",
            List.of(),
            0,
            null,
            100_000_000L,
            300_000_000L,
            1000,
            Instant.EPOCH);
    DeviceProfile device =
        profile(
            "x86_64",
            List.of(),
            List.of("cpu"),
            GIB,
            new BenchmarkInfo.Figure("cpu", "fp32", "matmul", 10, 1, 1, 100, null),
            new BenchmarkInfo.Figure("cpu", "fp32", "conv", 10, 1, 1, 50, null));
    MatchDecision decision = VariantMatcher.match(device, List.of(convNet), ClassTrials.NONE, null);
    assertEquals(1.0 + 6.0, decision.chosen().estimatedMs(), 1e-9); // 0.1 G/100 + 0.3 G/50, in ms
  }

  @Test
  void trialResultsOfTheClassOverrideEstimates() {
    DeviceProfile vnni = device("x86-vnni");
    ClassTrials trials =
        ClassTrials.of(
            List.of(
                new ClassTrials.Result(vnni.hardwareClassId(), FP32_CPU.id(), 1.2, null),
                new ClassTrials.Result(vnni.hardwareClassId(), FP32_CPU.id(), 1.4, null),
                new ClassTrials.Result(vnni.hardwareClassId(), FP32_CPU.id(), 9.0, null),
                new ClassTrials.Result(vnni.hardwareClassId(), INT8_CPU_X86.id(), 3.0, null),
                new ClassTrials.Result("another-class", INT8_CPU_X86.id(), 0.1, null)));
    MatchDecision decision = VariantMatcher.match(vnni, VERSION, trials, null);
    assertEquals("fp32/cpu", label(decision.chosen()));
    assertEquals("trial", decision.chosen().source());
    assertEquals(1.4, decision.chosen().estimatedMs(), 1e-9, "median p50 of the class");
    assertTrue(
        decision.chosen().reason().contains("3 trial result(s)"), decision.chosen().reason());
  }

  @Test
  void aVariantThatFailedEveryTrialOfTheClassIsDropped() {
    DeviceProfile vnni = device("x86-vnni");
    ClassTrials trials =
        ClassTrials.of(
            List.of(
                new ClassTrials.Result(
                    vnni.hardwareClassId(), INT8_CPU_X86.id(), null, "load failed: bad opset")));
    MatchDecision decision = VariantMatcher.match(vnni, VERSION, trials, null);
    assertEquals("fp32/cpu", label(decision.chosen()));
    assertTrue(reason(decision, INT8_CPU_X86).contains("load failed: bad opset"));
  }

  @Test
  void accuracyFloorDropsLessAccurateVariants() {
    MatchDecision decision =
        VariantMatcher.match(device("x86-vnni"), VERSION, ClassTrials.NONE, 0.99);
    assertEquals(
        "fp32/cpu", label(decision.chosen()), "undeclared accuracy counts as the reference");
    assertEquals("accuracy 0.985 is below the floor 0.99", reason(decision, INT8_CPU_X86));
    MatchDecision npu = VariantMatcher.match(device("npu-box"), VERSION, ClassTrials.NONE, 0.98);
    assertEquals("fp32/cpu", label(npu.chosen()));
  }

  @Test
  void withoutBenchmarkFiguresVariantsAreKeptButRankedLastThenByMemoryAndPrecision() {
    DeviceProfile noBenchmark = profile("x86_64", List.of("avx512_vnni"), List.of("cpu"), 8 * GIB);
    MatchDecision decision = VariantMatcher.match(noBenchmark, VERSION, ClassTrials.NONE, null);
    assertEquals("int8/cpu (x86_64+avx512_vnni)", label(decision.chosen()), "1 GiB beats 2 GiB");
    assertEquals("none", decision.chosen().source());
    assertTrue(decision.chosen().reason().startsWith("no benchmark figure for cpu/int8"));

    VariantSpec fp16 = variant("fp16", "cpu", "", List.of(), GIB, null, 5);
    VariantSpec int8 = variant("int8", "cpu", "", List.of(), GIB, null, 6);
    VariantSpec fp32 = variant("fp32", "cpu", "", List.of(), GIB, null, 7);
    MatchDecision tie =
        VariantMatcher.match(noBenchmark, List.of(int8, fp16, fp32), ClassTrials.NONE, null);
    assertEquals(
        List.of("fp32", "fp16", "int8"),
        tie.candidates().stream().map(Candidate::precision).toList());
  }

  @Test
  void nearEqualEstimatesAreATieBrokenByMemory() {
    VariantSpec big = variant("fp32", "cpu", "", List.of(), 2 * GIB, null, 8);
    VariantSpec small = variant("fp16", "cpu", "", List.of(), GIB, null, 9);
    DeviceProfile device =
        profile(
            "x86_64",
            List.of(),
            List.of("cpu"),
            8 * GIB,
            fig("cpu", "fp32", 100.04),
            fig("cpu", "fp16", 100.0));
    MatchDecision decision =
        VariantMatcher.match(device, List.of(big, small), ClassTrials.NONE, null);
    assertEquals("fp16/cpu", label(decision.chosen()));
  }

  @Test
  void deviceWithoutProfileIsNeverHandedAVariant() {
    DeviceProfile unknown = DeviceProfile.of(UUID.randomUUID(), null, null, null);
    MatchDecision decision = VariantMatcher.match(unknown, VERSION, ClassTrials.NONE, null);
    assertNull(decision.chosen());
    decision.candidates().forEach(c -> assertFalse(c.kept()));
    assertTrue(decision.reason().contains("has not reported its hardware profile"));
  }

  // --- helpers ---------------------------------------------------------------------------

  static VariantSpec variant(
      String precision,
      String provider,
      String arch,
      List<String> flags,
      long minMemory,
      Double accuracy,
      int order) {
    return new VariantSpec(
        UUID.randomUUID(),
        precision,
        provider,
        arch,
        flags,
        minMemory,
        accuracy,
        MACS,
        0,
        1_000_000,
        Instant.EPOCH.plusSeconds(order));
  }

  static BenchmarkInfo.Figure fig(String provider, String precision, double gmacs) {
    return new BenchmarkInfo.Figure(provider, precision, "matmul", 20, 1.0, 1.2, gmacs, null);
  }

  static DeviceProfile profile(
      String arch,
      List<String> flags,
      List<String> providers,
      long memory,
      BenchmarkInfo.Figure... figures) {
    HardwareInfo hardware =
        new HardwareInfo(
            "linux", "6.1", arch, "cpu", 8, flags, memory, memory, 0, providers, "1.23.2", "0.1.0",
            "host", List.of(), false);
    BenchmarkInfo benchmark =
        figures.length == 0
            ? null
            : new BenchmarkInfo(
                "enrollment", Instant.EPOCH, 100, "1.23.2", false, List.of(figures));
    return DeviceProfile.of(UUID.randomUUID(), "class-" + arch + flags, hardware, benchmark);
  }

  static String label(Candidate c) {
    String needs =
        (c.arch().isEmpty() ? "" : c.arch())
            + (c.requiredCpuFlags().isEmpty()
                ? ""
                : (c.arch().isEmpty() ? "" : "+") + String.join("+", c.requiredCpuFlags()));
    return c.precision()
        + "/"
        + c.executionProvider()
        + (needs.isEmpty() ? "" : " (" + needs + ")");
  }

  static Candidate candidate(MatchDecision decision, VariantSpec variant) {
    return decision.candidates().stream()
        .filter(c -> c.variantId().equals(variant.id()))
        .findFirst()
        .orElseThrow();
  }

  static String reason(MatchDecision decision, VariantSpec variant) {
    Candidate c = candidate(decision, variant);
    assertFalse(c.kept(), c.toString());
    return c.reason();
  }
}
