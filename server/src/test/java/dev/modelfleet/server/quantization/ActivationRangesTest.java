package dev.modelfleet.server.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.Int8StaticQuantizer;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The calibration methods on one activation: 400,000 values of a unit Gaussian and 20 outliers at
 * 100, fed as four calibration samples.
 */
class ActivationRangesTest {

  private static final String NAME = "t";

  @Test
  void percentileAndEntropyIgnoreRareOutliersThatMinMaxSpansAndQuantizeTheBulkFiner() {
    float[][] samples = samples();
    Map<ActivationRanges.Method, float[]> ranges =
        new java.util.EnumMap<>(ActivationRanges.Method.class);
    for (ActivationRanges.Method m : ActivationRanges.Method.values()) {
      ranges.put(m, measure(samples, m).get(NAME));
    }
    float[] minmax = ranges.get(ActivationRanges.Method.MINMAX);
    float[] percentile = ranges.get(ActivationRanges.Method.PERCENTILE);
    float[] entropy = ranges.get(ActivationRanges.Method.ENTROPY);
    assertEquals(100f, minmax[1], 0f);
    assertTrue(minmax[0] < -3.5f, "min/max spans the Gaussian's low tail: " + minmax[0]);
    // 99.9 % of |x| lie below 3.29 for a unit Gaussian; the histogram's bins are 100/8192 wide
    assertTrue(percentile[1] > 3.2f && percentile[1] < 3.4f, "percentile " + percentile[1]);
    assertTrue(entropy[1] > 2f && entropy[1] < 20f, "entropy " + entropy[1]);
    assertTrue(percentile[0] < 0 && entropy[0] < 0);

    double errMinMax = bulkError(samples, minmax);
    double errPercentile = bulkError(samples, percentile);
    double errEntropy = bulkError(samples, entropy);
    assertTrue(errPercentile * 20 < errMinMax, errPercentile + " vs " + errMinMax);
    assertTrue(errEntropy * 20 < errMinMax, errEntropy + " vs " + errMinMax);
    assertTrue(
        Math.abs(entropy[1] - percentile[1]) > 0.05f,
        "the two methods should differ measurably: " + entropy[1] + " " + percentile[1]);
  }

  @Test
  void mseHasTheLeastSquaredErrorOverAllValuesOfAnyMethod() {
    // a heavy-tailed activation (Laplace, plus the outliers): where its best clipping lies is a
    // trade between the bulk's steps and the tail's clipping, which no fixed percentile knows
    Random r = new Random(11);
    float[][] samples = samples();
    for (float[] s : samples) {
      for (int i = 0; i < s.length; i++) {
        if (s[i] != 100f) {
          double u = r.nextDouble() - 0.5;
          s[i] = (float) (-Math.signum(u) * Math.log(1 - 2 * Math.abs(u)));
        }
      }
    }
    float[] mse = measure(samples, ActivationRanges.Method.MSE).get(NAME);
    double errMse = error(samples, mse, false);
    for (ActivationRanges.Method m : ActivationRanges.Method.values()) {
      if (m != ActivationRanges.Method.MSE) {
        float[] other = measure(samples, m).get(NAME);
        assertTrue(
            errMse <= error(samples, other, false),
            m + " [" + other[0] + ", " + other[1] + "] beats mse [" + mse[0] + ", " + mse[1] + "]");
      }
    }
    assertTrue(mse[1] < 100f && mse[1] > 5f, "mse clips the outliers, not the bulk: " + mse[1]);
  }

  @Test
  void aReluOutputIsCalibratedOverZeroToItsThreshold() {
    float[][] samples = samples();
    for (float[] s : samples) {
      for (int i = 0; i < s.length; i++) {
        s[i] = Math.max(0, s[i]);
      }
    }
    float[] entropy = measure(samples, ActivationRanges.Method.ENTROPY).get(NAME);
    assertEquals(0f, entropy[0], 0f);
    assertTrue(entropy[1] > 2f && entropy[1] < 20f, "entropy " + entropy[1]);
  }

  private static Map<String, float[]> measure(float[][] samples, ActivationRanges.Method method) {
    // the runs a job makes on its calibration samples, here handing over prepared values
    Int8StaticQuantizer.ActivationRuns runs =
        (model, names, values) -> {
          for (float[] s : samples) {
            values.accept(NAME, s);
          }
        };
    return ActivationRanges.measure(QdqTestModels.sensitive(1), Set.of(NAME), runs, method, 99.9);
  }

  private static float[][] samples() {
    Random r = new Random(5);
    float[][] samples = new float[4][100_000];
    for (float[] s : samples) {
      for (int i = 0; i < s.length; i++) {
        s[i] = (float) r.nextGaussian();
      }
      for (int i = 0; i < 5; i++) {
        s[r.nextInt(s.length)] = 100f;
      }
    }
    return samples;
  }

  /** Mean squared uint8 rounding error of the Gaussian values (outliers excluded). */
  private static double bulkError(float[][] samples, float[] range) {
    return error(samples, range, true);
  }

  /** Mean squared error of the values quantized to uint8 over {@code range}. */
  private static double error(float[][] samples, float[] range, boolean bulkOnly) {
    float lo = Math.min(0, range[0]);
    float hi = Math.max(0, range[1]);
    double scale = (hi - lo) / 255.0;
    double zp = Math.round(-lo / scale);
    double sum = 0;
    long n = 0;
    for (float[] s : samples) {
      for (float v : s) {
        if (bulkOnly && v == 100f) {
          continue;
        }
        double q = Math.max(0, Math.min(255, Math.round(v / scale + zp)));
        double back = (q - zp) * scale;
        sum += (back - v) * (back - v);
        n++;
      }
    }
    return sum / n;
  }
}
