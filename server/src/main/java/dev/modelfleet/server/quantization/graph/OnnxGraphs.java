package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelfleet.onnx.OnnxModelReader;
import dev.modelfleet.onnx.UnsafeModelException;
import dev.modelfleet.server.common.ApiError;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** Graph-wide helpers over the ONNX protobuf messages, subgraphs (If, Loop, Scan) included. */
public final class OnnxGraphs {

  /** Protobuf cannot hold a message beyond 2 GiB; ONNX models that large use external data. */
  public static final long MAX_MODEL_BYTES = Integer.MAX_VALUE;

  private OnnxGraphs() {}

  /**
   * The model as protobuf messages to rewrite, from bytes already read (the caller needs them for
   * ONNX Runtime too). The bounded safety check reads them first: a derivation's input may have
   * been stored before the check existed, and the full parse below trusts what it reads.
   */
  public static ModelProto parse(byte[] model) {
    try {
      OnnxModelReader.check(model);
      return parse(CodedInputStream.newInstance(model));
    } catch (UnsafeModelException e) {
      throw ApiError.unsafeModel(e);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static ModelProto parse(CodedInputStream coded) throws IOException {
    coded.setSizeLimit(Integer.MAX_VALUE);
    coded.setRecursionLimit(200);
    try {
      return ModelProto.parseFrom(coded);
    } catch (InvalidProtocolBufferException e) {
      throw new DerivationException("the file is not an ONNX model: " + e.getMessage());
    }
  }

  /** Inputs the rewrites read by position, per operator of the default domain. */
  private static final java.util.Map<String, Integer> MIN_INPUTS =
      java.util.Map.of(
          "Conv",
          2,
          "MatMul",
          2,
          "Gemm",
          2,
          "BatchNormalization",
          5,
          "Clip",
          1,
          "Pad",
          1,
          "Resize",
          1,
          "Upsample",
          1,
          "Constant",
          0);

  /**
   * Refuses a graph the rewrites cannot walk safely: a node without an output, or an operator with
   * fewer inputs than ONNX defines for it. ONNX Runtime refuses such models at upload too; this
   * keeps a rewrite from failing on an index instead of saying what is wrong.
   */
  public static void requireWellFormed(GraphProto graph) {
    forEachNode(
        graph,
        n -> {
          Integer min = n.getDomain().isEmpty() ? MIN_INPUTS.get(n.getOpType()) : null;
          if (n.getOutputCount() == 0 || (min != null && n.getInputCount() < min)) {
            throw new DerivationException(
                "the model is malformed: node '"
                    + n.getName()
                    + "' ("
                    + n.getOpType()
                    + ") has "
                    + n.getInputCount()
                    + " inputs and "
                    + n.getOutputCount()
                    + " outputs");
          }
        });
  }

  /** The opset of the default ("" or "ai.onnx") domain; 0 when the model imports none. */
  public static long defaultOpset(ModelProto model) {
    for (OperatorSetIdProto id : model.getOpsetImportList()) {
      if (id.getDomain().isEmpty() || id.getDomain().equals("ai.onnx")) {
        return id.getVersion();
      }
    }
    return 0;
  }

  /** Calls {@code visitor} for every node of the graph and of all its subgraphs. */
  public static void forEachNode(GraphProto graph, Consumer<NodeProto> visitor) {
    for (NodeProto node : graph.getNodeList()) {
      visitor.accept(node);
      for (AttributeProto a : node.getAttributeList()) {
        if (a.hasG()) {
          forEachNode(a.getG(), visitor);
        }
        for (GraphProto g : a.getGraphsList()) {
          forEachNode(g, visitor);
        }
      }
    }
  }

  /** Every tensor stored in the model: initializers and Constant node values, in every graph. */
  public static void forEachConstant(GraphProto graph, Consumer<TensorProto> visitor) {
    graph.getInitializerList().forEach(visitor);
    for (NodeProto node : graph.getNodeList()) {
      for (AttributeProto a : node.getAttributeList()) {
        if (a.hasT()) {
          visitor.accept(a.getT());
        }
        if (a.hasG()) {
          forEachConstant(a.getG(), visitor);
        }
        a.getGraphsList().forEach(g -> forEachConstant(g, visitor));
      }
    }
  }

  /** All value names used anywhere, so new names can be made unique. */
  static Set<String> allNames(GraphProto graph) {
    Set<String> names = new HashSet<>();
    collectNames(graph, names);
    return names;
  }

  private static void collectNames(GraphProto graph, Set<String> names) {
    graph.getInputList().forEach(v -> names.add(v.getName()));
    graph.getOutputList().forEach(v -> names.add(v.getName()));
    graph.getInitializerList().forEach(t -> names.add(t.getName()));
    for (NodeProto n : graph.getNodeList()) {
      names.addAll(n.getInputList());
      names.addAll(n.getOutputList());
      names.add(n.getName());
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          collectNames(a.getG(), names);
        }
        a.getGraphsList().forEach(g -> collectNames(g, names));
      }
    }
  }

  /** Names read by some node or graph output, at any depth. */
  static Set<String> usedNames(GraphProto graph) {
    Set<String> used = new HashSet<>();
    collectUsed(graph, used);
    return used;
  }

  private static void collectUsed(GraphProto graph, Set<String> used) {
    graph.getOutputList().forEach(v -> used.add(v.getName()));
    for (NodeProto n : graph.getNodeList()) {
      used.addAll(n.getInputList());
      for (AttributeProto a : n.getAttributeList()) {
        if (a.hasG()) {
          collectUsed(a.getG(), used);
        }
        a.getGraphsList().forEach(g -> collectUsed(g, used));
      }
    }
  }

  /**
   * Drops initializers and Constant nodes nothing reads any more (the float weights a quantizer
   * replaced), at every depth, with the graph inputs that only declared them.
   */
  static GraphProto pruneUnusedConstants(GraphProto graph, Set<String> used) {
    GraphProto.Builder b = graph.toBuilder().clearNode().clearInitializer().clearInput();
    Set<String> dropped = new HashSet<>();
    for (TensorProto t : graph.getInitializerList()) {
      if (used.contains(t.getName())) {
        b.addInitializer(t);
      } else {
        dropped.add(t.getName());
      }
    }
    for (ValueInfoProto in : graph.getInputList()) {
      if (!dropped.contains(in.getName())) {
        b.addInput(in);
      }
    }
    for (NodeProto n : graph.getNodeList()) {
      if (n.getOpType().equals("Constant")
          && n.getDomain().isEmpty()
          && n.getOutputCount() == 1
          && !used.contains(n.getOutput(0))) {
        continue;
      }
      b.addNode(mapSubgraphs(n, g -> pruneUnusedConstants(g, used)));
    }
    return b.build();
  }

  /** The node with each of its subgraph attributes replaced by {@code f(subgraph)}. */
  static NodeProto mapSubgraphs(NodeProto node, java.util.function.UnaryOperator<GraphProto> f) {
    boolean any =
        node.getAttributeList().stream().anyMatch(a -> a.hasG() || a.getGraphsCount() > 0);
    if (!any) {
      return node;
    }
    NodeProto.Builder b = node.toBuilder().clearAttribute();
    for (AttributeProto a : node.getAttributeList()) {
      if (a.hasG()) {
        b.addAttribute(a.toBuilder().setG(f.apply(a.getG())));
      } else if (a.getGraphsCount() > 0) {
        List<GraphProto> mapped = a.getGraphsList().stream().map(f).toList();
        b.addAttribute(a.toBuilder().clearGraphs().addAllGraphs(mapped));
      } else {
        b.addAttribute(a);
      }
    }
    return b.build();
  }

  public static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  static AttributeProto tensorAttr(String name, TensorProto value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.TENSOR)
        .setT(value)
        .build();
  }

  public static NodeProto node(
      String op,
      String name,
      List<String> inputs,
      List<String> outputs,
      AttributeProto... attributes) {
    NodeProto.Builder b =
        NodeProto.newBuilder()
            .setOpType(op)
            .setName(name)
            .addAllInput(inputs)
            .addAllOutput(outputs);
    for (AttributeProto a : attributes) {
      b.addAttribute(a);
    }
    return b.build();
  }

  public static NodeProto constant(String output, TensorProto value) {
    return node(
        "Constant",
        output,
        List.of(),
        List.of(output),
        tensorAttr("value", value.toBuilder().setName(output).build()));
  }

  /** Whether {@code n} is a Constant node holding one tensor (a weight stored as a node). */
  static boolean isConstantNode(NodeProto n) {
    return n.getOpType().equals("Constant")
        && n.getDomain().isEmpty()
        && n.getOutputCount() == 1
        && n.getAttributeCount() == 1
        && n.getAttribute(0).getName().equals("value")
        && n.getAttribute(0).hasT();
  }

  /** The node's name, or its operator and first output when it has none (for reports). */
  static String nodeLabel(NodeProto node) {
    return node.getName().isEmpty() ? node.getOpType() + "->" + node.getOutput(0) : node.getName();
  }

  /** The node's integer attribute {@code name}, or {@code fallback} when it has none. */
  static long readInt(NodeProto node, String name, long fallback) {
    return node.getAttributeList().stream()
        .filter(a -> a.getName().equals(name))
        .findFirst()
        .map(AttributeProto::getI)
        .orElse(fallback);
  }

  /** The node's float attribute {@code name}, or {@code fallback} when it has none. */
  static float readFloat(NodeProto node, String name, float fallback) {
    return node.getAttributeList().stream()
        .filter(a -> a.getName().equals(name))
        .findFirst()
        .map(AttributeProto::getF)
        .orElse(fallback);
  }

  /** Unique names derived from a base, never clashing with any name in the model. */
  static final class Namer {
    private final Set<String> taken;

    Namer(Set<String> taken) {
      this.taken = taken;
    }

    String fresh(String base) {
      String name = base;
      for (int i = 1; !taken.add(name); i++) {
        name = base + "_" + i;
      }
      return name;
    }
  }
}
