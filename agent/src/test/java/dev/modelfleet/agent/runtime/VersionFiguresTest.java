package dev.modelfleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How the registry keeps inference figures per version across swaps, with a fake model. */
class VersionFiguresTest {

  static final List<Tensor> INPUT =
      List.of(new Tensor("input", "FP32", new long[] {1, 1}, new float[] {1}));

  /** Answers, or fails as ONNX Runtime would, or refuses the input, as told. */
  static final class FakeModel implements LoadedModel {
    final String provider;
    volatile String outcome = "answer";

    FakeModel(String provider) {
      this.provider = provider;
    }

    @Override
    public List<TensorSpec> inputs() {
      return List.of(new TensorSpec("input", "FP32", new long[] {-1, 1}));
    }

    @Override
    public List<TensorSpec> outputs() {
      return List.of(new TensorSpec("output", "FP32", new long[] {-1, 1}));
    }

    @Override
    public String executionProvider() {
      return provider;
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, Set<String> outputs) throws InferenceException {
      switch (outcome) {
        case "fail" -> throw new InferenceException(false, "ONNX Runtime failed: out of memory");
        case "refuse" -> throw new InferenceException(true, "unknown input 'x'");
        default -> {
          return List.of(new Tensor("output", "FP32", new long[] {1, 1}, new float[] {2}));
        }
      }
    }

    @Override
    public void close() {}
  }

  final ModelRegistry registry = new ModelRegistry();

  ServedModel serve(String version, String variant, FakeModel model) {
    ServedModel served = new ServedModel("m", version, variant, "sha-" + variant, model);
    registry.swap(served);
    return served;
  }

  void run(int times) throws InferenceException {
    for (int i = 0; i < times; i++) {
      ServedModel model = registry.acquire("m");
      try {
        model.infer(INPUT, Set.of());
      } finally {
        model.release();
      }
    }
  }

  VersionStats.Snapshot figures(String version) {
    return registry.figures().stream()
        .filter(f -> f.version().equals(version))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError(
                    "no figures for version " + version + " in " + registry.figures()));
  }

  @Test
  void theReplacedVersionKeepsItsFiguresBesideTheNewOne() throws Exception {
    serve("1", "v1-cpu", new FakeModel("cpu"));
    run(3);
    FakeModel second = new FakeModel("cuda");
    serve("2", "v2-cuda", second);
    run(2);
    second.outcome = "fail";
    assertThrows(InferenceException.class, () -> run(1));

    assertEquals(
        List.of("1", "2"),
        registry.figures().stream().map(VersionStats.Snapshot::version).toList(),
        "oldest first, the replaced version still there");
    VersionStats.Snapshot first = figures("1");
    assertEquals(3, first.requests());
    assertEquals(0, first.errors());
    assertEquals("v1-cpu", first.variantId());
    assertEquals("cpu", first.executionProvider());
    VersionStats.Snapshot now = figures("2");
    assertEquals(3, now.requests(), "the failed run counts as a request");
    assertEquals(1, now.errors());
    assertEquals("v2-cuda", now.variantId());
    assertEquals("cuda", now.executionProvider());
    assertTrue(now.p50Ms() > 0 && now.p95Ms() >= now.p50Ms(), now.toString());
  }

  @Test
  void aRequestTheModelRefusesAsMalformedIsNotCounted() throws Exception {
    FakeModel model = new FakeModel("cpu");
    serve("1", "v1", model);
    model.outcome = "refuse";
    assertThrows(InferenceException.class, () -> run(2));
    assertEquals(0, figures("1").requests());
    assertEquals(0, figures("1").errors());
    assertEquals(0.0, figures("1").p95Ms(), "no run, no latency");
  }

  @Test
  void aVersionServedAgainContinuesItsFigures() throws Exception {
    serve("1", "v1", new FakeModel("cpu"));
    run(3);
    serve("2", "v2", new FakeModel("cpu"));
    run(1);
    serve("1", "v1", new FakeModel("cpu")); // a rollback reloads the same variant
    run(2);

    assertEquals(
        List.of("2", "1"),
        registry.figures().stream().map(VersionStats.Snapshot::version).toList());
    assertEquals(5, figures("1").requests());
    assertEquals(1, figures("2").requests());
  }

  @Test
  void anotherVariantOfTheSameVersionStartsItsFiguresAfresh() throws Exception {
    serve("1", "v1-cuda", new FakeModel("cpu"));
    run(4);
    serve("1", "v1-int8", new FakeModel("cpu"));
    run(1);

    assertEquals(1, registry.figures().size(), "one entry per version");
    assertEquals("v1-int8", figures("1").variantId());
    assertEquals(1, figures("1").requests());
  }

  @Test
  void keepsOnlyTheLastFourVersionsOfAModel() throws Exception {
    for (int version = 1; version <= 6; version++) {
      serve(String.valueOf(version), "v" + version, new FakeModel("cpu"));
      run(1);
    }
    assertEquals(
        List.of("3", "4", "5", "6"),
        registry.figures().stream().map(VersionStats.Snapshot::version).toList());
  }

  @Test
  void aModelTakenOutOfServiceTakesItsFiguresWithIt() throws Exception {
    serve("1", "v1", new FakeModel("cpu"));
    run(1);
    registry.remove("m");
    assertEquals(List.of(), registry.figures());
  }
}
