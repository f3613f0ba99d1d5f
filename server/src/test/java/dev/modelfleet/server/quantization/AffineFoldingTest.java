package dev.modelfleet.server.quantization;

import static dev.modelfleet.onnx.samples.GraphParts.FLOAT;
import static dev.modelfleet.onnx.samples.GraphParts.dim;
import static dev.modelfleet.onnx.samples.GraphParts.floatTensor;
import static dev.modelfleet.onnx.samples.GraphParts.intsAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.node;
import static dev.modelfleet.onnx.samples.GraphParts.tensorValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.AffineFolding;
import dev.modelfleet.server.quantization.graph.Int8QdqQuantizer;
import dev.modelfleet.server.quantization.graph.IntegerKernelRewrite;
import dev.modelfleet.server.quantization.graph.QuantizationReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Constant Mul/Add beside a Conv folded into it: PPLCNetV3's learnable affine blocks (PaddleOCR's
 * PP-OCRv4 detector), on a generated network run through ONNX Runtime.
 */
class AffineFoldingTest {

  @Test
  void affineOperatorsNextToAConvFoldIntoItExactlyExceptBeforeAPaddedConv() {
    ModelProto net = affineNet(3);
    List<QuantizationReport.Op> folded = new ArrayList<>();
    ModelProto out = AffineFolding.fold(net, folded);

    // after c1: Mul (scalar) and Add (per channel) fold backwards; before c2 (no padding): Mul and
    // Add (scalars) fold forwards; the Add before c3 (3x3, padded) stays: folded, its constant
    // would reach the border where the original padding reads 0
    assertEquals(
        List.of("a1_mul", "a1_add", "a2_add", "a2_mul"),
        folded.stream().map(QuantizationReport.Op::node).toList());
    TreeMap<String, Integer> ops = new TreeMap<>();
    out.getGraph().getNodeList().forEach(n -> ops.merge(n.getOpType(), 1, Integer::sum));
    assertEquals(3, ops.get("Conv"), ops.toString());
    assertEquals(1, ops.get("Add"), ops.toString());
    assertEquals(null, ops.get("Mul"), ops.toString());

    ValidationSet samples = Int8QdqTest.samples(net.toByteArray(), 4, 9);
    VariantCheck.Figures same = VariantCheck.compare(net.toByteArray(), out.toByteArray(), samples);
    assertTrue(same.outputs().get(0).maxAbsError() < 1e-4, same.toString());
  }

  @Test
  void foldedAffinesQuantizeToFewerKernelsAndCloserToFloat() throws Exception {
    // the same network quantized with and without the folding: each Add left is a QLinearAdd
    // that rounds its output to 8 bits once more
    ModelProto net = affineNet(5);
    byte[] reference = net.toByteArray();
    ValidationSet calibration = Int8QdqTest.samples(reference, 8, 7);
    ValidationSet validation = Int8QdqTest.samples(reference, 8, 42);
    ModelProto folded = quantized(net, calibration, true);
    ModelProto unfolded = quantized(net, calibration, false);
    Map<String, Integer> withFolding =
        Int8QdqTest.opCounts(Int8QdqTest.optimized(folded.toByteArray()));
    Map<String, Integer> without =
        Int8QdqTest.opCounts(Int8QdqTest.optimized(unfolded.toByteArray()));
    assertTrue(
        withFolding.getOrDefault("QLinearAdd", 0) < without.getOrDefault("QLinearAdd", 0),
        withFolding + " vs " + without);
    double errFolded =
        VariantCheck.compare(reference, folded.toByteArray(), validation)
            .outputs()
            .get(0)
            .maxAbsError();
    double errUnfolded =
        VariantCheck.compare(reference, unfolded.toByteArray(), validation)
            .outputs()
            .get(0)
            .maxAbsError();
    assertTrue(errFolded < errUnfolded, errFolded + " vs " + errUnfolded);
  }

  /** int8-qdq's pre-processing and rewrite, with or without the folding. */
  private static ModelProto quantized(ModelProto net, ValidationSet calibration, boolean fold) {
    ModelProto pre = IntegerKernelRewrite.rewrite(net);
    if (fold) {
      pre = AffineFolding.fold(pre, new ArrayList<>());
    }
    Map<String, float[]> ranges =
        ActivationRanges.measure(
            pre,
            Int8QdqQuantizer.activations(pre),
            new CalibrationRuns(calibration),
            ActivationRanges.Method.MINMAX,
            100);
    return Int8QdqQuantizer.quantize(pre, ranges, Map.of()).model();
  }

  /**
   * image [1,4,8,8] → Conv c1 4→8 (1x1) → Mul 1.7 → Add [8,1,1] → Relu → Mul 0.5 → Add 0.3 → Conv
   * c2 8→8 (1x1) → Relu → Add 0.2 → Conv c3 8→2 (3x3, pad 1) → scores.
   */
  static ModelProto affineNet(long seed) {
    Random r = new Random(seed);
    List<TensorProto> init = new ArrayList<>();
    List<NodeProto> nodes = new ArrayList<>();
    conv(init, nodes, r, "c1", "image", "y1", 4, 8, 1);
    init.add(floatTensor("k1", new long[] {1}, new float[] {1.7f}));
    float[] shift = new float[8];
    for (int i = 0; i < shift.length; i++) {
      shift[i] = (float) r.nextGaussian();
    }
    init.add(floatTensor("b1", new long[] {8, 1, 1}, shift));
    nodes.add(node("Mul", "a1_mul", List.of("k1", "y1"), List.of("m1")));
    nodes.add(node("Add", "a1_add", List.of("m1", "b1"), List.of("z1")));
    nodes.add(node("Relu", "relu1", List.of("z1"), List.of("r1")));
    init.add(floatTensor("k2", new long[] {1}, new float[] {0.5f}));
    init.add(floatTensor("b2", new long[0], new float[] {0.3f}));
    nodes.add(node("Mul", "a2_mul", List.of("r1", "k2"), List.of("m2")));
    nodes.add(node("Add", "a2_add", List.of("m2", "b2"), List.of("z2")));
    conv(init, nodes, r, "c2", "z2", "y2", 8, 8, 1);
    nodes.add(node("Relu", "relu2", List.of("y2"), List.of("r2")));
    init.add(floatTensor("b3", new long[0], new float[] {0.2f}));
    nodes.add(node("Add", "a3_add", List.of("r2", "b3"), List.of("z3")));
    conv(init, nodes, r, "c3", "z3", "scores", 8, 2, 3);
    GraphProto g =
        GraphProto.newBuilder()
            .setName("affine")
            .addInput(tensorValue("image", FLOAT, dim(1), dim(4), dim(8), dim(8)))
            .addOutput(tensorValue("scores", FLOAT, dim(1), dim(2), dim(8), dim(8)))
            .addAllInitializer(init)
            .addAllNode(nodes)
            .build();
    return TestModels.model(g, 17);
  }

  private static void conv(
      List<TensorProto> init,
      List<NodeProto> nodes,
      Random r,
      String name,
      String in,
      String out,
      int cin,
      int cout,
      int k) {
    float[] w = new float[cout * cin * k * k];
    for (int i = 0; i < w.length; i++) {
      w[i] = (float) (r.nextGaussian() * Math.sqrt(2.0 / (cin * k * k)));
    }
    float[] b = new float[cout];
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) r.nextGaussian() * 0.1f;
    }
    init.add(floatTensor(name + "_w", new long[] {cout, cin, k, k}, w));
    init.add(floatTensor(name + "_b", new long[] {cout}, b));
    int pad = k / 2;
    nodes.add(
        node(
            "Conv",
            name,
            List.of(in, name + "_w", name + "_b"),
            List.of(out),
            intsAttribute("kernel_shape", k, k),
            intsAttribute("pads", pad, pad, pad, pad)));
  }
}
