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

  /** The largest finite float16. */
  static final float HALF_MAX = 65504f;

  /**
   * Operators whose inputs and output are all of one float type, so one can run in float32 between
   * Casts inside a float16 graph when it reads a constant float16 cannot hold.
   */
  private static final Set<String> SAME_TYPE_OPS =
      Set.of(
          "Conv",
          "ConvTranspose",
          "Gemm",
          "MatMul",
          "BatchNormalization",
          "InstanceNormalization",
          "LayerNormalization",
          "Add",
          "Sub",
          "Mul",
          "Div",
          "Max",
          "Min",
          "Sum",
          "Mean",
          "PRelu",
          "Clip");

  private final List<Op> converted = new ArrayList<>();
  private final List<Op> keptFloat = new ArrayList<>();
  private final Set<String> keepFloat = new HashSet<>();
  private final Map<String, String> renamed = new HashMap<>();

  /** Nodes run in float32 between Casts, with the reason. */
  private final Map<NodeProto, String> keptNodes = new HashMap<>();

  private Namer namer;
  private int tensors;
  private long elements;

  public static Int8DynamicQuantizer.Result convert(ModelProto model) {
    return convert(model, Map.of());
  }

  /**
   * With {@code keepNodes} (node name → why): those nodes run in float32 between Casts as well, for
   * an operator ONNX Runtime cannot load or optimise in float16.
   */
  public static Int8DynamicQuantizer.Result convert(
      ModelProto model, Map<String, String> keepNodes) {
    Fp16Converter c = new Fp16Converter();
    // first, so running variances (often far beyond ±65504) become weights of ordinary size
    model = BatchNormFolding.foldEverywhere(model, c.converted);
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
    c.namer = namer;
    c.keepOutOfRange(main);
    if (!keepNodes.isEmpty()) {
      OnnxGraphs.forEachNode(
          main,
          n -> {
            String why = keepNodes.get(n.getName());
            if (why != null) {
              c.keptNodes.merge(n, why, (a, b) -> a + "; " + b);
            }
          });
    }
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

    GraphProto body = c.graph(main, true, "main");
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
  private GraphProto graph(GraphProto graph, boolean main, String path) {
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
      String why = keptNodes.get(n);
      if (why != null) {
        keepInFloat32(n, nb, b, path, why);
        continue;
      }
      for (AttributeProto a : n.getAttributeList()) {
        AttributeProto.Builder ab = a.toBuilder();
        if (a.hasT()) {
          boolean stays = n.getOpType().equals("Constant") && keepFloat.contains(n.getOutput(0));
          ab.setT(stays ? a.getT() : tensor(a.getT()));
        }
        if (a.hasG()) {
          ab.setG(graph(a.getG(), false, subPath(path, n, a.getG())));
        }
        if (a.getGraphsCount() > 0) {
          ab.clearGraphs();
          a.getGraphsList().forEach(g -> ab.addGraphs(graph(g, false, subPath(path, n, g))));
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

  private static String subPath(String path, NodeProto n, GraphProto g) {
    return path + "/" + OnnxGraphs.nodeLabel(n) + "." + g.getName();
  }

  /**
   * Emits {@code n} as it is in the reference: float32 inputs (float16 values cast up, the
   * out-of-range constants as stored) and its output cast back to float16 under its own name.
   */
  private void keepInFloat32(
      NodeProto n, NodeProto.Builder nb, GraphProto.Builder b, String path, String why) {
    for (int i = 0; i < nb.getInputCount(); i++) {
      String in = nb.getInput(i);
      if (in.isEmpty() || keepFloat.contains(n.getInput(i))) {
        continue;
      }
      String up = namer.fresh(in + "_fp32");
      b.addNode(
          OnnxGraphs.node(
              "Cast",
              namer.fresh(in + "_to_fp32"),
              List.of(in),
              List.of(up),
              OnnxGraphs.intAttr("to", Tensors.FLOAT)));
      nb.setInput(i, up);
    }
    n.getAttributeList().forEach(nb::addAttribute);
    int out = outputIndex(n);
    String result = n.getOutput(out);
    String wide = namer.fresh(result + "_fp32");
    nb.setOutput(out, wide);
    b.addNode(nb);
    b.addNode(
        OnnxGraphs.node(
            "Cast",
            namer.fresh(result + "_to_fp16"),
            List.of(wide),
            List.of(result),
            OnnxGraphs.intAttr("to", Tensors.FLOAT16)));
    keptFloat.add(
        new Op(
            path,
            OnnxGraphs.nodeLabel(n),
            n.getOpType(),
            why + "; the operator runs in float32 between Casts"));
  }

  /** Whether the converter can run {@code n} in float32 between Casts. */
  public static boolean canKeepInFloat32(NodeProto n) {
    return n.getDomain().isEmpty() && SAME_TYPE_OPS.contains(n.getOpType()) && outputIndex(n) >= 0;
  }

  /** The index of the node's only non-empty output, or -1. */
  private static int outputIndex(NodeProto n) {
    int found = -1;
    for (int i = 0; i < n.getOutputCount(); i++) {
      if (!n.getOutput(i).isEmpty()) {
        if (found >= 0) {
          return -1;
        }
        found = i;
      }
    }
    return found;
  }

  /**
   * Finds the float constants float16 cannot hold (finite values beyond ±65504, or nonzero values
   * that would mostly round to 0) and keeps them, and the operators reading them, in float32. Where
   * a reader cannot run in float32 on its own (its inputs or outputs are of several types), the
   * constant is clamped to ±65504 as before, which keeps large "minus infinity" masks masks, and
   * the report says so.
   */
  private void keepOutOfRange(GraphProto main) {
    Map<String, String> problems = new HashMap<>();
    collectOutOfRange(main, problems);
    if (problems.isEmpty()) {
      return;
    }
    Map<String, List<NodeProto>> readers = new HashMap<>();
    OnnxGraphs.forEachNode(
        main,
        n -> {
          for (String in : n.getInputList()) {
            if (problems.containsKey(in)) {
              readers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
          }
        });
    for (Map.Entry<String, String> p : problems.entrySet()) {
      List<NodeProto> r = readers.getOrDefault(p.getKey(), List.of());
      boolean keepable = !r.isEmpty() && r.stream().allMatch(Fp16Converter::canKeepInFloat32);
      if (keepable) {
        keepFloat.add(p.getKey());
        r.forEach(n -> keptNodes.merge(n, p.getValue(), (a, b2) -> a + "; " + b2));
      } else {
        converted.add(
            new Op(
                "",
                p.getKey(),
                "tensor",
                p.getValue()
                    + "; converted anyway (clamped to ±65504, tiny values to 0): a reader of it"
                    + " cannot run in float32 on its own"));
      }
    }
  }

  private static void collectOutOfRange(GraphProto graph, Map<String, String> problems) {
    for (TensorProto t : graph.getInitializerList()) {
      outOfRange(t, t.getName(), problems);
    }
    for (NodeProto n : graph.getNodeList()) {
      if (OnnxGraphs.isConstantNode(n)) {
        outOfRange(n.getAttribute(0).getT(), n.getOutput(0), problems);
      }
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          collectOutOfRange(a.getG(), problems);
        }
        a.getGraphsList().forEach(g -> collectOutOfRange(g, problems));
      }
    }
  }

  private static void outOfRange(TensorProto t, String name, Map<String, String> problems) {
    if (t.getDataType() != Tensors.FLOAT || name.isEmpty()) {
      return;
    }
    float[] values = Tensors.floats(t);
    float largest = 0;
    int nonzero = 0;
    int vanishing = 0;
    for (float v : values) {
      if (Float.isFinite(v)) {
        largest = Math.max(largest, Math.abs(v));
      }
      if (v != 0) {
        nonzero++;
        if ((Tensors.toHalf(v) & 0x7fff) == 0) {
          vanishing++;
        }
      }
    }
    if (largest > HALF_MAX) {
      problems.put(
          name,
          String.format(
              java.util.Locale.ROOT,
              "'%s' holds values up to %.3g, beyond float16's ±65504",
              name,
              largest));
    } else if (vanishing > 0 && vanishing * 100L > nonzero) {
      // a few vanishing weights among thousands change nothing; a tensor of them changes the layer
      problems.put(
          name,
          String.format(
              java.util.Locale.ROOT,
              "'%s' has %d of %d nonzero values too small for float16 (they would become 0)",
              name,
              vanishing,
              nonzero));
    }
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
