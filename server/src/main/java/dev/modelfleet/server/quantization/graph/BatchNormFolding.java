package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import dev.modelfleet.server.quantization.graph.QuantizationReport.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The step of {@link Int8DynamicQuantizer} that runs first in every graph: folds each
 * BatchNormalization that is the only reader of a Conv with stored weights into that Conv (w' =
 * w·γ/√(σ²+ε), b' = (b−μ)·γ/√(σ²+ε) + β), as ONNX Runtime does for float models at load time. It
 * cannot do so once the Conv is a ConvInteger, so without this step the int8 variant would keep
 * every BatchNormalization as a separate operator and its parameters in float. Shares the
 * quantizer's names, use counts and report.
 *
 * <p>{@link Fp16Converter} runs it alone, through {@link #foldEverywhere}, before converting: a
 * running variance of 1e7 has no float16 form, while the folded weights (w·γ/√σ²) are of ordinary
 * size.
 */
final class BatchNormFolding {

  private final Namer namer;
  private final Map<String, Integer> uses;
  private final List<Op> converted;

  BatchNormFolding(Namer namer, Map<String, Integer> uses, List<Op> converted) {
    this.namer = namer;
    this.uses = uses;
    this.converted = converted;
  }

  /**
   * The model with every foldable BatchNormalization folded, in every graph, and the parameters
   * nothing reads any more dropped; one {@code converted} entry per fold.
   */
  static ModelProto foldEverywhere(ModelProto model, List<Op> converted) {
    Map<String, Integer> uses = new HashMap<>();
    Int8DynamicQuantizer.countUses(model.getGraph(), uses);
    BatchNormFolding folding =
        new BatchNormFolding(new Namer(OnnxGraphs.allNames(model.getGraph())), uses, converted);
    int before = converted.size();
    GraphProto graph = folding.foldIn(model.getGraph(), Map.of(), "main");
    if (converted.size() == before) {
      return model;
    }
    graph = OnnxGraphs.pruneUnusedConstants(graph, OnnxGraphs.usedNames(graph));
    return model.toBuilder().setGraph(graph).build();
  }

  private GraphProto foldIn(GraphProto graph, Map<String, TensorProto> outer, String path) {
    Map<String, TensorProto> scope = new HashMap<>(outer);
    graph.getInitializerList().forEach(t -> scope.put(t.getName(), t));
    for (NodeProto n : graph.getNodeList()) {
      if (OnnxGraphs.isConstantNode(n)) {
        scope.put(n.getOutput(0), n.getAttribute(0).getT());
      }
    }
    GraphProto.Builder out = graph.toBuilder().clearNode();
    for (NodeProto n : apply(graph.getNodeList(), scope, path)) {
      out.addNode(
          OnnxGraphs.mapSubgraphs(
              n, g -> foldIn(g, scope, path + "/" + OnnxGraphs.nodeLabel(n) + "." + g.getName())));
    }
    return out.build();
  }

  /** The graph's nodes with every foldable BatchNormalization folded into its Conv. */
  List<NodeProto> apply(List<NodeProto> nodes, Map<String, TensorProto> scope, String path) {
    Map<String, NodeProto> bnByInput = new HashMap<>();
    for (NodeProto n : nodes) {
      if (n.getOpType().equals("BatchNormalization")
          && n.getDomain().isEmpty()
          && n.getInputCount() == 5
          && n.getOutputList().stream().skip(1).allMatch(String::isEmpty)) {
        bnByInput.put(n.getInput(0), n);
      }
    }
    if (bnByInput.isEmpty()) {
      return nodes;
    }
    List<NodeProto> out = new ArrayList<>();
    java.util.Set<NodeProto> folded = new java.util.HashSet<>();
    for (NodeProto n : nodes) {
      if (folded.contains(n)) {
        continue;
      }
      NodeProto bn =
          n.getOpType().equals("Conv") && n.getDomain().isEmpty() && n.getOutputCount() == 1
              ? bnByInput.get(n.getOutput(0))
              : null;
      List<NodeProto> replacement =
          bn == null || uses.getOrDefault(n.getOutput(0), 0) != 1 ? null : fold(n, bn, scope);
      if (replacement == null) {
        out.add(n);
      } else {
        out.addAll(replacement);
        folded.add(bn);
        converted.add(
            new Op(
                path,
                OnnxGraphs.nodeLabel(bn),
                "BatchNormalization",
                "folded into " + OnnxGraphs.nodeLabel(n)));
      }
    }
    return out;
  }

  private List<NodeProto> fold(NodeProto conv, NodeProto bn, Map<String, TensorProto> scope) {
    TensorProto w = scope.get(conv.getInput(1));
    if (Int8DynamicQuantizer.weightRefusal(w, -1) != null) {
      return null;
    }
    String biasName =
        conv.getInputCount() > 2 && !conv.getInput(2).isEmpty() ? conv.getInput(2) : null;
    List<TensorProto> params = new ArrayList<>();
    for (int i = 1; i < 5; i++) {
      TensorProto p = scope.get(bn.getInput(i));
      if (p == null || p.getDataType() != Tensors.FLOAT) {
        return null;
      }
      params.add(p);
    }
    if (biasName != null
        && (scope.get(biasName) == null || scope.get(biasName).getDataType() != Tensors.FLOAT)) {
      return null;
    }
    int channels = (int) w.getDims(0);
    float[] gamma = Tensors.floats(params.get(0));
    float[] beta = Tensors.floats(params.get(1));
    float[] mean = Tensors.floats(params.get(2));
    float[] var = Tensors.floats(params.get(3));
    float[] bias = biasName == null ? new float[channels] : Tensors.floats(scope.get(biasName));
    if (gamma.length != channels
        || beta.length != channels
        || mean.length != channels
        || var.length != channels
        || bias.length != channels) {
      return null;
    }
    float eps = OnnxGraphs.readFloat(bn, "epsilon", 1e-5f);
    float[] weights = Tensors.floats(w);
    int per = weights.length / channels;
    float[] newBias = new float[channels];
    for (int c = 0; c < channels; c++) {
      float factor = (float) (gamma[c] / Math.sqrt(var[c] + eps));
      for (int i = c * per; i < (c + 1) * per; i++) {
        weights[i] *= factor;
      }
      newBias[c] = (bias[c] - mean[c]) * factor + beta[c];
    }
    String base = "bn" + converted.size();
    String wName = namer.fresh(base + "_w");
    String bName = namer.fresh(base + "_b");
    long[] dims = w.getDimsList().stream().mapToLong(Long::longValue).toArray();
    NodeProto.Builder merged =
        conv.toBuilder()
            .clearInput()
            .clearOutput()
            .addInput(conv.getInput(0))
            .addInput(wName)
            .addInput(bName)
            .addOutput(bn.getOutput(0));
    TensorProto foldedWeights = Tensors.floatTensor(wName, dims, weights);
    TensorProto foldedBias = Tensors.floatTensor(bName, new long[] {channels}, newBias);
    scope.put(wName, foldedWeights); // so the Conv that follows is quantized like any other
    scope.put(bName, foldedBias);
    return List.of(
        OnnxGraphs.constant(wName, foldedWeights),
        OnnxGraphs.constant(bName, foldedBias),
        merged.build());
  }
}
