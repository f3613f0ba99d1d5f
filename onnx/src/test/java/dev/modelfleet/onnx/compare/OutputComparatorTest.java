package dev.modelfleet.onnx.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OutputComparatorTest {

  private static final double EPS = 1e-6;

  private static OutputComparator of(String spec) {
    return OutputComparator.of(ComparisonSpec.parse(spec));
  }

  @Test
  void cosineOfPerpendicularHalfIsOneOverRootTwo() {
    OutputComparator c = of("cosine>=0.7");
    c.add(new float[] {1, 0}, new float[] {1, 1}, new long[] {2});
    assertEquals(1 / Math.sqrt(2), c.value(), EPS);
    assertTrue(c.passes());
    assertEquals(1, c.samples());
  }

  @Test
  void cosinePoolsAllSamplesIntoOneVector() {
    OutputComparator c = of("cosine>=0.99");
    c.add(new float[] {1, 0}, new float[] {1, 0}, null);
    c.add(new float[] {0, 1}, new float[] {1, 0}, null);
    // one vector [1,0,0,1] against [1,0,1,0]: dot 1, norms root 2 each
    assertEquals(0.5, c.value(), EPS);
    assertFalse(c.passes());
    assertEquals(2, c.samples());
  }

  @Test
  void cosineOfTwoZeroOutputsIsAgreementAndOfNaNIsNone() {
    OutputComparator zeros = of("cosine>=0.99");
    zeros.add(new float[3], new float[3], null);
    assertEquals(1, zeros.value());
    OutputComparator nan = of("cosine>=0.99");
    nan.add(new float[] {1, 2}, new float[] {Float.NaN, 2}, null);
    assertEquals(0, nan.value());
    assertFalse(nan.passes());
  }

  @Test
  void maxAndMeanAbsoluteError() {
    float[] reference = {1, 2, 3};
    float[] candidate = {1.5f, 2, 1};
    OutputComparator max = of("maxabs<=2");
    OutputComparator mean = of("meanabs<=0.5");
    max.add(reference, candidate, new long[] {1, 3});
    mean.add(reference, candidate, new long[] {1, 3});
    assertEquals(2, max.value(), EPS);
    assertTrue(max.passes());
    assertEquals((0.5 + 0 + 2) / 3, mean.value(), EPS);
    assertFalse(mean.passes());
    max.add(new float[] {0}, new float[] {Float.NaN}, null);
    assertEquals(Double.POSITIVE_INFINITY, max.value());
    assertFalse(max.passes());
  }

  @Test
  void topOneIsArgMaxAgreementPerRowOfTheLastAxis() {
    // two rows of three classes: the first agrees (class 1), the second does not (0 vs 1)
    float[] reference = {0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f};
    float[] candidate = {0.2f, 0.6f, 0.2f, 0.3f, 0.4f, 0.3f};
    long[] shape = {2, 3};
    OutputComparator top1 = of("top1>=0.99");
    top1.add(reference, candidate, shape);
    assertEquals(0.5, top1.value(), EPS);
    assertFalse(top1.passes());
    // in top-2 the second row's reference class 0 (0.3) is outranked only by class 1 (0.4); class
    // 2 ties at 0.3 and loses the tie on its higher index
    OutputComparator top2 = of("top2>=0.99");
    top2.add(reference, candidate, shape);
    assertEquals(1, top2.value(), EPS);
    assertTrue(top2.passes());
  }

  @Test
  void topKAggregatesRowsOverSamples() {
    OutputComparator top1 = of("top1>=0.6");
    top1.add(new float[] {1, 0}, new float[] {1, 0}, new long[] {1, 2});
    top1.add(new float[] {1, 0}, new float[] {1, 0}, new long[] {1, 2});
    top1.add(new float[] {1, 0}, new float[] {0, 1}, new long[] {1, 2});
    assertEquals(2.0 / 3, top1.value(), EPS);
    assertTrue(top1.passes());
  }

  @Test
  void flipsCountValuesOnOtherSidesOfTheThreshold() {
    OutputComparator c = of("flips@0.5<=0.25");
    // 0.4→0.6 and 0.9→0.4 flip; 0.6→0.6 and 0.1→0.1 do not
    c.add(new float[] {0.4f, 0.6f, 0.9f, 0.1f}, new float[] {0.6f, 0.6f, 0.4f, 0.1f}, null);
    assertEquals(0.5, c.value(), EPS);
    assertFalse(c.passes());
  }

  /**
   * The motivating case: a detector's probability map where the candidate lifts 20 background
   * pixels from just below the threshold (0.29) to just above it (0.31). Cosine barely moves, but
   * the binarized map gains 20 false text pixels on 10 true ones.
   */
  @Test
  void cosineCanBeHighWhereIouOfTheBinarizedMapsIsLow() {
    float[] reference = new float[100];
    float[] candidate = new float[100];
    for (int i = 0; i < 10; i++) {
      reference[i] = 1;
      candidate[i] = 1;
    }
    for (int i = 10; i < 30; i++) {
      reference[i] = 0.29f;
      candidate[i] = 0.31f;
    }
    long[] shape = {1, 1, 10, 10};
    OutputComparator cosine = of("cosine>=0.99");
    OutputComparator iou = of("iou@0.3>=0.95");
    cosine.add(reference, candidate, shape);
    iou.add(reference, candidate, shape);
    double dot = 10 + 20 * 0.29 * 0.31;
    double expectedCosine = dot / Math.sqrt((10 + 20 * 0.29 * 0.29) * (10 + 20 * 0.31 * 0.31));
    assertEquals(expectedCosine, cosine.value(), EPS);
    assertTrue(cosine.value() > 0.999, "cosine " + cosine.value());
    assertTrue(cosine.passes());
    assertEquals(10.0 / 30, iou.value(), EPS);
    assertFalse(iou.passes());
  }

  /** The reverse: an offset below the threshold drags cosine down, the binarized map is whole. */
  @Test
  void iouCanBeWholeWhereCosineIsLow() {
    float[] reference = new float[100];
    float[] candidate = new float[100];
    Arrays.fill(candidate, 0.25f);
    for (int i = 0; i < 10; i++) {
      reference[i] = 1;
      candidate[i] = 1;
    }
    OutputComparator cosine = of("cosine>=0.99");
    OutputComparator iou = of("iou@0.3>=0.95");
    cosine.add(reference, candidate, null);
    iou.add(reference, candidate, null);
    // dot 10; norms 10 and 10 + 90 * 0.0625 = 15.625; root of 156.25 is 12.5
    assertEquals(0.8, cosine.value(), EPS);
    assertFalse(cosine.passes());
    assertEquals(1, iou.value(), EPS);
    assertTrue(iou.passes());
  }

  @Test
  void iouPoolsIntersectionsAndUnionsOverSamples() {
    OutputComparator iou = of("iou@0.5>=0.5");
    // sample 1: both positive at 0, only the reference at 1 → 1 of 2
    iou.add(new float[] {1, 1, 0}, new float[] {1, 0, 0}, null);
    // sample 2: both positive at 0 and 1, only the candidate at 2 → 2 of 3
    iou.add(new float[] {1, 1, 0}, new float[] {1, 1, 1}, null);
    assertEquals(3.0 / 5, iou.value(), EPS);
    assertTrue(iou.passes());
    OutputComparator empty = of("iou@0.5>=0.95");
    empty.add(new float[] {0, 0.5f}, new float[] {0.1f, 0.2f}, null);
    assertEquals(1, empty.value());
  }

  @Test
  void noSamplesIsNoFigureAndNoPass() {
    OutputComparator c = of("cosine>=0");
    assertTrue(Double.isNaN(c.value()));
    assertFalse(c.passes());
    assertEquals(0, c.samples());
  }

  @Test
  void outputsThatDoNotLineUpAreRefused() {
    OutputComparator c = of("cosine>=0.9");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> c.add(new float[] {1, 2}, new float[] {1, 2, 3}, null));
    assertTrue(e.getMessage().contains("3 values where the reference's has 2"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> c.add(new float[] {1, 2}, new float[] {1, 2}, new long[] {3}));
    assertEquals(0, c.samples());
    OutputComparator top5 = of("top5>=0.9");
    assertThrows(
        IllegalArgumentException.class,
        () -> top5.add(new float[] {1, 2}, new float[] {1, 2}, new long[] {1, 2}));
  }
}
