package dev.modelfleet.server.matching;

import dev.modelfleet.server.device.BenchmarkInfo;
import dev.modelfleet.server.hardware.HardwareInfo;
import dev.modelfleet.server.matching.MatchViews.MatchDecision;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What matching costs: decisions per second for 10,000 devices against one version with six
 * variants, including turning each stored profile into the matcher's form, as an assignment does.
 * Skipped in the normal build; run it with {@code ./mvnw -pl server test -Dtest=MatchingBenchmark
 * -Dbench=true}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class MatchingBenchmark {

  private static final int DEVICES = 10_000;
  private static final int ROUNDS = 20;
  private static final long GIB = 1024L * 1024 * 1024;

  record StoredDevice(UUID id, String classId, HardwareInfo hardware, BenchmarkInfo benchmark) {}

  @Test
  void decisionsPerSecond() {
    List<StoredDevice> fleet = fleet(new Random(42));
    List<VariantSpec> variants =
        List.of(
            variant("fp32", "cpu", "", List.of(), 2 * GIB),
            variant("int8", "cpu", "x86_64", List.of("avx512_vnni"), GIB),
            variant("int8", "cpu", "aarch64", List.of("dotprod"), GIB),
            variant("fp16", "cuda", "x86_64", List.of(), 4 * GIB),
            variant("int8", "openvino", "", List.of(), GIB),
            variant("fp16", "cpu", "aarch64", List.of("fp16"), GIB));
    ClassTrials trials =
        ClassTrials.of(
            List.of(
                new ClassTrials.Result(fleet.get(0).classId(), variants.get(0).id(), 2.0, null)));

    long chosen = 0;
    for (int warmup = 0; warmup < 5; warmup++) {
      chosen += round(fleet, variants, trials);
    }
    long[] nanos = new long[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long start = System.nanoTime();
      chosen += round(fleet, variants, trials);
      nanos[r] = System.nanoTime() - start;
    }
    java.util.Arrays.sort(nanos);
    double medianSeconds = nanos[ROUNDS / 2] / 1e9;
    System.out.printf(
        Locale.ROOT,
        "matching: %d devices x %d variants: median %.1f ms per fleet, %.0f decisions/s (best %.1f ms)%n",
        DEVICES,
        variants.size(),
        medianSeconds * 1e3,
        DEVICES / medianSeconds,
        nanos[0] / 1e6);
    if (chosen == 0) {
      throw new AssertionError("no device got a variant: the benchmark measured nothing useful");
    }
  }

  private static long round(
      List<StoredDevice> fleet, List<VariantSpec> variants, ClassTrials trials) {
    long chosen = 0;
    for (StoredDevice d : fleet) {
      MatchDecision decision =
          VariantMatcher.match(
              DeviceProfile.of(d.id(), d.classId(), d.hardware(), d.benchmark()),
              variants,
              trials,
              0.98);
      if (decision.chosen() != null) {
        chosen++;
      }
    }
    return chosen;
  }

  private static List<StoredDevice> fleet(Random random) {
    List<StoredDevice> fleet = new ArrayList<>(DEVICES);
    for (int i = 0; i < DEVICES; i++) {
      boolean arm = random.nextInt(3) == 0;
      List<String> flags =
          arm
              ? List.of("asimd", "asimddp", "fphp")
              : random.nextBoolean()
                  ? List.of("sse4_2", "avx2", "fma", "avx512f", "avx512_vnni")
                  : List.of("sse4_2", "avx2", "fma");
      List<String> providers =
          switch (random.nextInt(4)) {
            case 0 -> List.of("cpu", "cuda");
            case 1 -> List.of("cpu", "openvino");
            default -> List.of("cpu");
          };
      HardwareInfo hardware =
          new HardwareInfo(
              "Linux",
              "6.1",
              arm ? "aarch64" : "x86_64",
              "cpu model " + (i % 7),
              4 << random.nextInt(3),
              flags,
              GIB << random.nextInt(4),
              GIB,
              10 * GIB,
              providers,
              "1.23.2",
              "0.1.0",
              "device-" + i,
              List.of(),
              false);
      List<BenchmarkInfo.Figure> figures = new ArrayList<>();
      for (String provider : providers) {
        for (String precision : List.of("fp32", "fp16", "int8")) {
          for (String kernel : List.of("matmul", "conv")) {
            figures.add(
                new BenchmarkInfo.Figure(
                    provider, precision, kernel, 20, 1, 1.2, 10 + random.nextDouble() * 500, null));
          }
        }
      }
      BenchmarkInfo benchmark =
          new BenchmarkInfo("enrollment", Instant.EPOCH, 900, "1.23.2", false, figures);
      fleet.add(new StoredDevice(UUID.randomUUID(), "class-" + (i % 50), hardware, benchmark));
    }
    return fleet;
  }

  private static VariantSpec variant(
      String precision, String provider, String arch, List<String> flags, long memory) {
    return new VariantSpec(
        UUID.randomUUID(),
        precision,
        provider,
        arch,
        flags,
        memory,
        0.99,
        300_000_000L,
        900_000_000L,
        50_000_000L,
        Instant.EPOCH);
  }
}
