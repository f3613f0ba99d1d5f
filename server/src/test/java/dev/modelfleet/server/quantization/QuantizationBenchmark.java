package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * What each derivation buys on this machine: size and single-thread CPU latency relative to the
 * fp32 reference, and the accuracy figures, for the shared models (when present) and the generated
 * ones. Prints a Markdown table. Skipped in the normal build; run it with {@code ./mvnw -B -pl
 * server -am verify -Dtest=QuantizationBenchmark -Dbench=true
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class QuantizationBenchmark {

  private record Case(
      String name,
      byte[] reference,
      DerivationViews.Validation validation,
      DerivationViews.Calibration calibration) {
    Case(String name, byte[] reference, DerivationViews.Validation validation) {
      this(name, reference, validation, null);
    }
  }

  @Test
  void sizesLatenciesAndAccuracy() throws Exception {
    List<Case> cases = new ArrayList<>();
    Optional<Path> paddle = TestModels.shared("ch_ppocr_mobile_v2.0_cls_infer.onnx");
    if (paddle.isPresent()) {
      cases.add(
          new Case(
              "PaddleOCR cls [1,3,48,192]",
              Files.readAllBytes(paddle.get()),
              new DerivationViews.Validation(
                  null, Map.of("x", List.of(1L, 3L, 48L, 192L)), 16, null),
              noiseCalibration("x", List.of(1L, 3L, 48L, 192L))));
    }
    Optional<Path> vad = TestModels.shared("silero_vad_v5.onnx");
    if (vad.isPresent()) {
      cases.add(
          new Case(
              "silero VAD v5 [1,512] 16 kHz",
              Files.readAllBytes(vad.get()),
              new DerivationViews.Validation(vadSamples(), null, null, null)));
    }
    cases.add(
        new Case(
            "generated CNN [1,3,16,16]",
            TestModels.cnn(1, false, false).toByteArray(),
            null,
            noiseCalibration(TestModels.INPUT, List.of(1L, 3L, 16L, 16L))));
    byte[] mlp = SampleModels.classifier(7, 512, 2048, 10);
    cases.add(new Case("generated MLP 512-2048-10, batch 1", mlp, null));
    cases.add(
        new Case(
            "generated MLP 512-2048-10, batch 64",
            mlp,
            new DerivationViews.Validation(
                null, Map.of(SampleModels.INPUT, List.of(64L, 512L)), 8, null),
            noiseCalibration(SampleModels.INPUT, List.of(64L, 512L))));

    StringBuilder out = new StringBuilder();
    out.append(
        "| model | variant | size (bytes) | size ratio | fp32 ms | variant ms | latency ratio"
            + " (min–max, rounds) | accuracy | worst max abs error |\n"
            + "|---|---|---|---|---|---|---|---|---|\n");
    for (Case c : cases) {
      ModelProto parsed = ModelProto.parseFrom(c.reference());
      ValidationSet set = Derivations.validationSet(c.reference(), c.validation());
      for (DerivationKind kind : DerivationKind.values()) {
        if (kind.calibrates() && c.calibration() == null) {
          continue;
        }
        Derivations.Derived d = Derivations.derive(parsed, kind, c.calibration(), c.reference());
        // reference and variant timed in the same rounds: the ratio is the median of the rounds'
        VariantCheck.Figures f = VariantCheck.compare(c.reference(), d.model(), set);
        VariantCheck.Latency l = f.latency();
        double maxErr =
            f.outputs().stream()
                .mapToDouble(VariantCheck.OutputFigures::maxAbsError)
                .max()
                .orElse(0);
        out.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %,d | %.2f | %.3f | %.3f | %.2f (%.2f–%.2f, %d) | %.4f | %.4g |%n",
                c.name(),
                kind.wire(),
                d.model().length,
                d.model().length / (double) c.reference().length,
                f.referenceLatencyMs(),
                f.latencyMs(),
                l.ratio(),
                l.min(),
                l.max(),
                l.rounds(),
                f.accuracy(),
                maxErr));
      }
    }
    System.out.println("\n" + out);
  }

  /** 8 Gaussian samples of one float input, as an operator would upload them (min/max method). */
  private static DerivationViews.Calibration noiseCalibration(String input, List<Long> shape) {
    Random random = new Random(11);
    int n = (int) shape.stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
    List<Map<String, ValidationSet.SuppliedTensor>> samples = new ArrayList<>();
    for (int s = 0; s < 8; s++) {
      List<Double> data = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        data.add(random.nextGaussian());
      }
      samples.add(Map.of(input, new ValidationSet.SuppliedTensor(shape, data)));
    }
    return new DerivationViews.Calibration(samples, "minmax", null, null);
  }

  private static List<Map<String, ValidationSet.SuppliedTensor>> vadSamples() {
    Random random = new Random(3);
    List<Map<String, ValidationSet.SuppliedTensor>> samples = new ArrayList<>();
    for (int s = 0; s < 16; s++) {
      List<Double> audio = new ArrayList<>();
      for (int i = 0; i < 512; i++) {
        double tone = s % 2 == 0 ? 0.3 * Math.sin(2 * Math.PI * (150 + 60 * s) * i / 16000.0) : 0;
        audio.add(tone + 0.01 * random.nextGaussian());
      }
      samples.add(
          Map.of(
              "input", new ValidationSet.SuppliedTensor(List.of(1L, 512L), audio),
              "state",
                  new ValidationSet.SuppliedTensor(
                      List.of(2L, 1L, 128L), Collections.nCopies(256, 0.0)),
              "sr", new ValidationSet.SuppliedTensor(List.of(), List.of(16000.0))));
    }
    return samples;
  }
}
