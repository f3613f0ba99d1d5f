package dev.modelfleet.server.quantization;

import static dev.modelfleet.onnx.samples.GraphParts.FLOAT;
import static dev.modelfleet.onnx.samples.GraphParts.dim;
import static dev.modelfleet.onnx.samples.GraphParts.floatTensor;
import static dev.modelfleet.onnx.samples.GraphParts.intAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.intsAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.node;
import static dev.modelfleet.onnx.samples.GraphParts.tensorValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.ChannelSplit;
import dev.modelfleet.server.quantization.graph.Int8QdqQuantizer;
import dev.modelfleet.server.quantization.graph.QuantizationReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A Conv whose output channels differ 100-fold in range, read through a written-out hard-swish by a
 * depthwise Conv (PPLCNetV3's block, where PaddleOCR's PP-OCRv4 detector loses most of its int8
 * accuracy), split so each part is quantized with its own scale; run through ONNX Runtime.
 */
class ChannelSplitTest {

  private static final int WIDE = 2;

  @Test
  void aRegionWithOutlierChannelsIsSplitExactlyAndQuantizesCloserToFloat() {
    ModelProto net = outlierNet(3);
    byte[] reference = net.toByteArray();
    ValidationSet calibration = Int8QdqTest.samples(reference, 8, 7);
    ValidationSet validation = Int8QdqTest.samples(reference, 8, 42);

    List<ChannelSplit.Region> regions = ChannelSplit.regions(net);
    assertEquals(1, regions.size());
    assertEquals("head", regions.get(0).head().getName());
    assertEquals(6, regions.get(0).body().size()); // 4 hard-swish operators, affine, depthwise

    List<QuantizationReport.Op> converted = new ArrayList<>();
    ModelProto split = QdqDerivation.splitChannels(net, calibration, converted);
    assertEquals(1, converted.size(), converted.toString());
    assertTrue(converted.get(0).reason().contains("2 wide and 6 narrow"), converted.toString());
    VariantCheck.Figures same = VariantCheck.compare(reference, split.toByteArray(), validation);
    assertTrue(same.outputs().get(0).maxAbsError() < 1e-3, same.toString());

    double errSplit = int8Error(reference, split, calibration, validation);
    double errWhole = int8Error(reference, net, calibration, validation);
    assertTrue(errSplit * 2 < errWhole, errSplit + " vs " + errWhole);
  }

  @Test
  void channelsOfOneRangeAreLeftWhole() {
    float[] even = {3f, 4f, 5f, 4.5f, 3.5f, 5.5f};
    assertNull(ChannelSplit.wideChannels(even));
    float[] outliers = {3f, 4f, 200f, 4.5f, 3.5f, 180f};
    assertEquals(
        List.of(2, 5),
        java.util.Arrays.stream(ChannelSplit.wideChannels(outliers)).boxed().toList());
  }

  /** int8-qdq (minmax) of {@code model}: the output's largest error on the validation samples. */
  private static double int8Error(
      byte[] reference, ModelProto model, ValidationSet calibration, ValidationSet validation) {
    Map<String, float[]> ranges =
        ActivationRanges.measure(
            model,
            Int8QdqQuantizer.activations(model),
            new CalibrationRuns(calibration),
            ActivationRanges.Method.MINMAX,
            100);
    byte[] q = Int8QdqQuantizer.quantize(model, ranges, Map.of()).model().toByteArray();
    return VariantCheck.compare(reference, q, validation).outputs().get(0).maxAbsError();
  }

  /**
   * image [1,4,8,8] → Conv head 4→8 (1x1; channels 0 and 1 100× the others) → x·Clip(x+3, 0,
   * 6)·(1/6) → ·0.5 → depthwise 3x3 (the wide channels' weights 1/100) → Conv 8→2 (1x1) → scores.
   */
  static ModelProto outlierNet(long seed) {
    Random r = new Random(seed);
    List<TensorProto> init = new ArrayList<>();
    List<NodeProto> nodes = new ArrayList<>();
    float[] hw = gaussian(r, 8 * 4, 0.7f);
    for (int i = 0; i < WIDE * 4; i++) {
      hw[i] *= 100;
    }
    init.add(floatTensor("head_w", new long[] {8, 4, 1, 1}, hw));
    init.add(floatTensor("head_b", new long[] {8}, gaussian(r, 8, 0.1f)));
    nodes.add(
        node(
            "Conv",
            "head",
            List.of("image", "head_w", "head_b"),
            List.of("x"),
            intsAttribute("kernel_shape", 1, 1)));
    init.add(floatTensor("three", new long[0], new float[] {3f}));
    init.add(floatTensor("zero", new long[0], new float[] {0f}));
    init.add(floatTensor("six", new long[0], new float[] {6f}));
    init.add(floatTensor("sixth", new long[0], new float[] {1f / 6}));
    init.add(floatTensor("half", new long[0], new float[] {0.5f}));
    nodes.add(node("Add", "plus3", List.of("x", "three"), List.of("x3")));
    nodes.add(node("Clip", "relu6", List.of("x3", "zero", "six"), List.of("g")));
    nodes.add(node("Mul", "gate", List.of("x", "g"), List.of("xg")));
    nodes.add(node("Mul", "by6", List.of("xg", "sixth"), List.of("hs")));
    nodes.add(node("Mul", "affine", List.of("hs", "half"), List.of("a")));
    float[] dw = gaussian(r, 8 * 9, 0.3f);
    for (int i = 0; i < WIDE * 9; i++) {
      dw[i] /= 100;
    }
    init.add(floatTensor("dw_w", new long[] {8, 1, 3, 3}, dw));
    init.add(floatTensor("dw_b", new long[] {8}, gaussian(r, 8, 0.1f)));
    nodes.add(
        node(
            "Conv",
            "depthwise",
            List.of("a", "dw_w", "dw_b"),
            List.of("d"),
            intsAttribute("kernel_shape", 3, 3),
            intsAttribute("pads", 1, 1, 1, 1),
            intAttribute("group", 8)));
    init.add(floatTensor("pw_w", new long[] {2, 8, 1, 1}, gaussian(r, 16, 0.5f)));
    init.add(floatTensor("pw_b", new long[] {2}, gaussian(r, 2, 0.1f)));
    nodes.add(
        node(
            "Conv",
            "pointwise",
            List.of("d", "pw_w", "pw_b"),
            List.of("scores"),
            intsAttribute("kernel_shape", 1, 1)));
    GraphProto g =
        GraphProto.newBuilder()
            .setName("outliers")
            .addInput(tensorValue("image", FLOAT, dim(1), dim(4), dim(8), dim(8)))
            .addOutput(tensorValue("scores", FLOAT, dim(1), dim(2), dim(8), dim(8)))
            .addAllInitializer(init)
            .addAllNode(nodes)
            .build();
    return TestModels.model(g, 17);
  }

  private static float[] gaussian(Random r, int n, float scale) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian() * scale;
    }
    return v;
  }
}
