package dev.modelfleet.onnx.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ComparisonSpecTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "cosine>=0.99",
        "maxabs<=0.05",
        "meanabs<=0.01",
        "top1>=0.99",
        "top5>=0.98",
        "flips@0.5<=0.01",
        "iou@0.3>=0.95",
        "maxabs<=2",
        "cosine>=1"
      })
  void theTextAnOperatorTypesComesBackFromToString(String text) {
    assertEquals(text, ComparisonSpec.parse(text).toString());
  }

  @Test
  void caseBlanksAndTrailingZerosDoNotMatter() {
    ComparisonSpec spec = ComparisonSpec.parse("  IoU@0.30 >= 0.950 ");
    assertEquals(ComparisonSpec.Metric.IOU, spec.metric());
    assertEquals(0.3, spec.threshold());
    assertEquals(0.95, spec.bound());
    assertEquals("iou@0.3>=0.95", spec.toString());
    assertEquals("iou@0.3", spec.measure());
  }

  @Test
  void topKCarriesK() {
    ComparisonSpec spec = ComparisonSpec.parse("top5>=0.98");
    assertEquals(ComparisonSpec.Metric.TOPK, spec.metric());
    assertEquals(5, spec.k());
    assertEquals(ComparisonSpec.topK(5, 0.98), spec);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "cosine",
        "cosine>0.99",
        "cosine=0.99",
        "euclid<=0.1",
        "iou>=0.9",
        "iou@>=0.9",
        "top>=0.9",
        "flips@0.5<=abc",
        "cosine>=0.99; drop table"
      })
  void textThatIsNoComparisonIsRefusedNamingTheAcceptedForms(String text) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse(text));
    assertTrue(e.getMessage().contains("accepted: "), e.getMessage());
    assertTrue(e.getMessage().contains("iou@T>=F"), e.getMessage());
  }

  @Test
  void aBoundTheWrongWayRoundSaysWhichWayIsBetter() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse("cosine<=0.99"));
    assertTrue(e.getMessage().contains("cosine is better higher"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse("maxabs>=0.1"));
    assertTrue(e.getMessage().contains("maxabs is better lower"), e.getMessage());
  }

  @Test
  void sharesOutsideZeroToOneAndImpossibleKAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse("cosine>=1.5"));
    assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse("iou@0.3>=-0.1"));
    assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse("flips@0.5<=2"));
    assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse("maxabs<=-1"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse("top0>=0.9"));
    assertTrue(e.getMessage().contains("from 1 to 1000"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ComparisonSpec.parse("top1001>=0.9"));
  }

  @Test
  void floorMetLooksTheMetricsWayAndNeverAcceptsNaN() {
    ComparisonSpec cosine = ComparisonSpec.parse("cosine>=0.99");
    assertTrue(cosine.floorMet(0.99));
    assertTrue(cosine.floorMet(1));
    assertFalse(cosine.floorMet(0.989));
    assertFalse(cosine.floorMet(Double.NaN));
    ComparisonSpec maxabs = ComparisonSpec.parse("maxabs<=0.05");
    assertTrue(maxabs.floorMet(0.05));
    assertTrue(maxabs.floorMet(0));
    assertFalse(maxabs.floorMet(0.051));
    assertFalse(maxabs.floorMet(Double.POSITIVE_INFINITY));
    assertFalse(maxabs.floorMet(Double.NaN));
  }
}
