package dev.modelfleet.onnx.samples;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The pieces every ONNX graph the project builds itself is made of: typed values, tensors with raw
 * little-endian data, nodes, attributes and the model around a graph. The sample models, the
 * agent's micro-benchmark graphs and the test models of every module build from these, so that
 * there is one way to write a value-info or a tensor.
 *
 * <p>Builders only: nothing here reads a model (that is {@link dev.modelfleet.onnx.OnnxModelReader}
 * 's job, bounded, for files a user supplied).
 */
public final class GraphParts {

  public static final int FLOAT = TensorProto.DataType.FLOAT.getNumber();
  public static final int FLOAT16 = TensorProto.DataType.FLOAT16.getNumber();
  public static final int UINT8 = TensorProto.DataType.UINT8.getNumber();
  public static final int INT8 = TensorProto.DataType.INT8.getNumber();
  public static final int INT64 = TensorProto.DataType.INT64.getNumber();
  public static final int BOOL = TensorProto.DataType.BOOL.getNumber();

  /** The IR version of every model built here (ONNX 1.10; ONNX Runtime reads it everywhere). */
  public static final long IR_VERSION = 8;

  private GraphParts() {}

  /** A dimension of fixed size. */
  public static TensorShapeProto.Dimension dim(long size) {
    return TensorShapeProto.Dimension.newBuilder().setDimValue(size).build();
  }

  /** A symbolic dimension ({@code batch}, {@code N}): any size, the same wherever the name is. */
  public static TensorShapeProto.Dimension dim(String symbol) {
    return TensorShapeProto.Dimension.newBuilder().setDimParam(symbol).build();
  }

  /** Fixed dimensions, one per size. */
  public static TensorShapeProto.Dimension[] dims(long... sizes) {
    TensorShapeProto.Dimension[] dims = new TensorShapeProto.Dimension[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      dims[i] = dim(sizes[i]);
    }
    return dims;
  }

  /**
   * A graph input or output: a tensor of {@code elementType} (a TensorProto data type) and this
   * shape; no dimensions make a scalar.
   */
  public static ValueInfoProto tensorValue(
      String name, int elementType, TensorShapeProto.Dimension... shape) {
    TensorShapeProto.Builder dims = TensorShapeProto.newBuilder();
    for (TensorShapeProto.Dimension dim : shape) {
      dims.addDim(dim);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(
                    TypeProto.Tensor.newBuilder().setElemType(elementType).setShape(dims)))
        .build();
  }

  /** A tensor of {@code elementType} and of any shape (no shape given; not a scalar). */
  public static ValueInfoProto anyShapeValue(String name, int elementType) {
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(
            TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elementType)))
        .build();
  }

  /** A graph output whose type and shape ONNX Runtime infers (int32 from MatMulInteger, say). */
  public static ValueInfoProto untypedValue(String name) {
    return ValueInfoProto.newBuilder().setName(name).build();
  }

  /** A tensor of {@code dataType} holding {@code raw} (little-endian, as ONNX stores raw data). */
  public static TensorProto tensor(String name, int dataType, long[] dims, byte[] raw) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(dataType)
            .setRawData(ByteString.copyFrom(raw));
    for (long dim : dims) {
      tensor.addDims(dim);
    }
    return tensor.build();
  }

  /** A float tensor holding {@code values} as raw data. */
  public static TensorProto floatTensor(String name, long[] dims, float[] values) {
    return tensor(name, FLOAT, dims, littleEndian(values));
  }

  /** The raw-data bytes of {@code values}. */
  public static byte[] littleEndian(float... values) {
    ByteBuffer data =
        ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    data.asFloatBuffer().put(values);
    return data.array();
  }

  /** How many elements a tensor of this shape holds (1 for a scalar). */
  public static long elements(long... dims) {
    long count = 1;
    for (long dim : dims) {
      count *= dim;
    }
    return count;
  }

  public static NodeProto node(
      String op,
      String name,
      List<String> inputs,
      List<String> outputs,
      AttributeProto... attributes) {
    NodeProto.Builder node =
        NodeProto.newBuilder()
            .setOpType(op)
            .setName(name)
            .addAllInput(inputs)
            .addAllOutput(outputs);
    for (AttributeProto attribute : attributes) {
      node.addAttribute(attribute);
    }
    return node.build();
  }

  /** A Constant node whose output (and tensor) is named {@code output}. */
  public static NodeProto constant(String output, TensorProto value) {
    return node(
        "Constant",
        output,
        List.of(),
        List.of(output),
        tensorAttribute("value", value.toBuilder().setName(output).build()));
  }

  public static AttributeProto intAttribute(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  public static AttributeProto intsAttribute(String name, long... values) {
    AttributeProto.Builder attribute =
        AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
    for (long value : values) {
      attribute.addInts(value);
    }
    return attribute.build();
  }

  public static AttributeProto tensorAttribute(String name, TensorProto value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.TENSOR)
        .setT(value)
        .build();
  }

  /** A subgraph attribute: an If node's {@code then_branch}, a Loop's {@code body}. */
  public static AttributeProto graphAttribute(String name, GraphProto graph) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.GRAPH)
        .setG(graph)
        .build();
  }

  /**
   * A model around {@code graph} importing the default domain at {@code opset}, produced by {@code
   * producer}; callers add what else they need (a producer version, a doc string) and build.
   */
  public static ModelProto.Builder model(GraphProto graph, String producer, long opset) {
    return ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName(producer)
        .addOpsetImport(OperatorSetIdProto.newBuilder().setVersion(opset))
        .setGraph(graph);
  }
}
