package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import dev.modelfleet.server.quantization.graph.OnnxGraphs.Namer;
import dev.modelfleet.server.quantization.graph.QuantizationReport.Op;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * float16 weights and compute, float32 at the edges: every float tensor, Constant, declared type
 * and Cast target inside the model becomes float16, and Cast nodes at the main graph's inputs and
 * outputs keep the signature devices and the agent already know.
 *
 * <p>Where ONNX demands float32 (the scales of Resize and Upsample) the constant stays float32 and
 * the report says so. ONNX Runtime's CPU provider has float16 kernels for few operators and runs
 * the others through inserted casts, so fp16 is for GPUs and NPUs, not for server CPUs.
 */
public final class Fp16Converter {

  /** op type → input index that ONNX types as tensor(float) only. */
  private static final Map<String, Integer> FLOAT_ONLY_INPUT = Map.of("Resize", 2, "Upsample", 1);

  private final List<Op> converted = new ArrayList<>();
  private final List<Op> keptFloat = new ArrayList<>();
  private final Set<String> keepFloat = new HashSet<>();
  private final Map<String, String> renamed = new HashMap<>();
  private int tensors;
  private long elements;

  public static Int8DynamicQuantizer.Result convert(ModelProto model) {
    Fp16Converter c = new Fp16Converter();
    GraphProto main = model.getGraph();
    OnnxGraphs.forEachNode(
        main,
        n -> {
          Integer index = FLOAT_ONLY_INPUT.get(n.getOpType());
          if (index != null && n.getInputCount() > index) {
            c.keepFloat.add(n.getInput(index));
            c.keptFloat.add(
                new Op("", OnnxGraphs.nodeLabel(n), n.getOpType(), "ONNX requires float32 scales"));
          }
        });
    Namer namer = new Namer(OnnxGraphs.allNames(main));
    Set<String> initializers = new HashSet<>();
    main.getInitializerList().forEach(t -> initializers.add(t.getName()));

    List<NodeProto> head = new ArrayList<>();
    for (ValueInfoProto in : main.getInputList()) {
      if (!initializers.contains(in.getName()) && isFloat(in.getType())) {
        String half = namer.fresh(in.getName() + "_fp16");
        c.renamed.put(in.getName(), half);
        head.add(
            OnnxGraphs.node(
                "Cast",
                namer.fresh(in.getName() + "_to_fp16"),
                List.of(in.getName()),
                List.of(half),
                OnnxGraphs.intAttr("to", Tensors.FLOAT16)));
      }
    }
    List<NodeProto> tail = new ArrayList<>();
    Map<String, String> producedAs = new HashMap<>();
    for (ValueInfoProto out : main.getOutputList()) {
      if (isFloat(out.getType())) {
        String half = namer.fresh(out.getName() + "_fp16");
        producedAs.put(out.getName(), half);
        tail.add(
            OnnxGraphs.node(
                "Cast",
                namer.fresh(out.getName() + "_to_fp32"),
                List.of(half),
                List.of(out.getName()),
                OnnxGraphs.intAttr("to", Tensors.FLOAT)));
      }
    }
    // a main output is produced under its fp16 name and read under it everywhere inside
    c.renamed.putAll(producedAs);

    GraphProto body = c.graph(main, true);
    GraphProto.Builder b = body.toBuilder().clearNode();
    b.addAllNode(head);
    for (NodeProto n : body.getNodeList()) {
      NodeProto.Builder nb = n.toBuilder();
      for (int i = 0; i < n.getOutputCount(); i++) {
        String to = producedAs.get(n.getOutput(i));
        if (to != null) {
          nb.setOutput(i, to);
        }
      }
      b.addNode(nb);
    }
    b.addAllNode(tail);
    GraphProto graph = b.build();
    // one summary line: listing every converted tensor would bury the exceptions
    c.converted.add(
        new Op(
            "all graphs",
            c.tensors + " tensors, " + c.elements + " values",
            "tensor",
            "float16 weights and constants; Cast at "
                + head.size()
                + " inputs and "
                + tail.size()
                + " outputs"));
    return new Int8DynamicQuantizer.Result(
        model.toBuilder().setGraph(graph).build(),
        new QuantizationReport(List.copyOf(c.converted), List.copyOf(c.keptFloat)));
  }

  /** Converts a graph; {@code main}: its inputs and outputs stay float32 (Casts handle them). */
  private GraphProto graph(GraphProto graph, boolean main) {
    GraphProto.Builder b = graph.toBuilder().clearInitializer().clearNode().clearValueInfo();
    for (TensorProto t : graph.getInitializerList()) {
      b.addInitializer(tensor(t));
    }
    if (!main) {
      b.clearInput().clearOutput();
      graph.getInputList().forEach(v -> b.addInput(half(v)));
      graph.getOutputList().forEach(v -> b.addOutput(half(v)));
    }
    graph.getValueInfoList().forEach(v -> b.addValueInfo(half(v)));
    for (NodeProto n : graph.getNodeList()) {
      NodeProto.Builder nb = n.toBuilder().clearAttribute();
      for (int i = 0; i < n.getInputCount(); i++) {
        String to = renamed.get(n.getInput(i));
        if (to != null) {
          nb.setInput(i, to);
        }
      }
      for (AttributeProto a : n.getAttributeList()) {
        AttributeProto.Builder ab = a.toBuilder();
        if (a.hasT()) {
          boolean stays = n.getOpType().equals("Constant") && keepFloat.contains(n.getOutput(0));
          ab.setT(stays ? a.getT() : tensor(a.getT()));
        }
        if (a.hasG()) {
          ab.setG(graph(a.getG(), false));
        }
        if (a.getGraphsCount() > 0) {
          ab.clearGraphs();
          a.getGraphsList().forEach(g -> ab.addGraphs(graph(g, false)));
        }
        if (n.getOpType().equals("Cast") && a.getName().equals("to") && a.getI() == Tensors.FLOAT) {
          ab.setI(Tensors.FLOAT16);
        }
        nb.addAttribute(ab);
      }
      b.addNode(nb);
    }
    return b.build();
  }

  private TensorProto tensor(TensorProto t) {
    if (t.getDataType() != Tensors.FLOAT || keepFloat.contains(t.getName())) {
      return t;
    }
    TensorProto half = Tensors.toFloat16(t);
    tensors++;
    elements += Tensors.elements(half);
    return half;
  }

  private static boolean isFloat(TypeProto type) {
    return type.hasTensorType() && type.getTensorType().getElemType() == Tensors.FLOAT;
  }

  private static ValueInfoProto half(ValueInfoProto v) {
    if (!isFloat(v.getType())) {
      return v;
    }
    TypeProto.Builder t = v.getType().toBuilder();
    t.getTensorTypeBuilder().setElemType(Tensors.FLOAT16);
    return v.toBuilder().setType(t).build();
  }
}
