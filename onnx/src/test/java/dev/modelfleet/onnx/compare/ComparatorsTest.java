package dev.modelfleet.onnx.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ComparatorsTest {

  private static ComparisonSpec spec(String text) {
    return ComparisonSpec.parse(text);
  }

  @Test
  void topKNeedsAtLeastKClassesOnTheLastAxis() {
    assertNull(Comparators.whyNotApplicable(spec("top5>=0.9"), new long[] {1, 10}));
    assertNull(Comparators.whyNotApplicable(spec("top5>=0.9"), new long[] {-1, 5}));
    String why = Comparators.whyNotApplicable(spec("top5>=0.9"), new long[] {1, 3});
    assertNotNull(why);
    assertTrue(why.contains("at least 5 classes") && why.contains("it has 3"), why);
    assertNotNull(Comparators.whyNotApplicable(spec("top1>=0.9"), new long[] {}));
  }

  @Test
  void aSymbolicOrUnknownLastAxisIsLeftToTheRun() {
    assertNull(Comparators.whyNotApplicable(spec("top5>=0.9"), new long[] {1, -1}));
    assertNull(Comparators.whyNotApplicable(spec("top5>=0.9"), null));
  }

  @Test
  void thresholdComparisonsNeedFloatingPointOutputs() {
    long[] map = {1, 1, 320, 320};
    assertNull(Comparators.whyNotApplicable(spec("iou@0.3>=0.95"), map, "FLOAT"));
    assertNull(Comparators.whyNotApplicable(spec("flips@0.5<=0.01"), map, "tensor(float16)"));
    String why = Comparators.whyNotApplicable(spec("iou@0.3>=0.95"), map, "INT64");
    assertNotNull(why);
    assertTrue(why.contains("floating-point") && why.contains("int64"), why);
    assertNotNull(Comparators.whyNotApplicable(spec("flips@0.5<=0.01"), map, "int8"));
    assertNull(Comparators.whyNotApplicable(spec("maxabs<=1"), map, "INT64"));
  }

  @Test
  void nothingComparesStrings() {
    assertNotNull(Comparators.whyNotApplicable(spec("cosine>=0.9"), new long[] {1}, "STRING"));
  }

  @Test
  void defaultsAreTopOneForClassScoresAndCosineOtherwise() {
    assertEquals(
        List.of(ComparisonSpec.topK(1, 0.98)), Comparators.defaultsFor(new long[] {1, 10}, 0.98));
    assertEquals(
        List.of(ComparisonSpec.cosine(0.98)),
        Comparators.defaultsFor(new long[] {1, 1, 320, 320}, 0.98));
    assertEquals(
        List.of(ComparisonSpec.cosine(0.9)), Comparators.defaultsFor(new long[] {10}, 0.9));
    assertEquals(
        List.of(ComparisonSpec.cosine(0.9)), Comparators.defaultsFor(new long[] {1, -1}, 0.9));
  }
}
