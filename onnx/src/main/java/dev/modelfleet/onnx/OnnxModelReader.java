package dev.modelfleet.onnx;

import com.google.protobuf.CodedInputStream;
import dev.modelfleet.onnx.UnsafeModelException.Reason;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The one reader of ONNX model files, and the model-safety check every model passes before ONNX
 * Runtime sees it (on the server at upload and around every derivation, on the agent before every
 * load). It walks the whole model in one streaming pass — the main graph, every subgraph of
 * If/Loop/Scan at any depth, model-local function bodies and training graphs — and looks at every
 * tensor stored anywhere: initializers, sparse initializers, tensor attributes ({@code value},
 * {@code t}, {@code tensors}, sparse ones) of every node. It refuses:
 *
 * <ul>
 *   <li>any tensor with {@code data_location = EXTERNAL} or any {@code external_data} entry, and
 *       any EP context node that names a file instead of embedding its binary: ONNX Runtime follows
 *       such a location wherever it points (an absolute path, {@code ../}), so a model could read
 *       the signing keys of the machine that loads it and return them as output;
 *   <li>any tensor whose declared shape and type disagree with its data, and sparse tensors whose
 *       indices fall outside their shape;
 *   <li>anything past {@link OnnxLimits} (depth, parts, name sizes), and groups or wire types that
 *       ONNX does not use.
 * </ul>
 *
 * <p>Models over 2 GB keep weights in external files legitimately; they will be accepted as signed
 * multi-file packages confined to their own directory, which is why the refusal is one reason code
 * and the walk already visits every tensor.
 *
 * <p>Tensor contents are skipped, never held (sparse indices excepted, up to a bound), so the check
 * costs one sequential read of the file and memory independent of its size.
 */
public final class OnnxModelReader {

  // ModelProto
  private static final int MODEL_GRAPH = 7;
  private static final int MODEL_TRAINING_INFO = 20;
  private static final int MODEL_FUNCTIONS = 25;
  // TrainingInfoProto
  private static final int TRAINING_INITIALIZATION = 1;
  private static final int TRAINING_ALGORITHM = 2;
  // FunctionProto
  private static final int FUNCTION_NAME = 1;
  private static final int FUNCTION_NODE = 7;
  // GraphProto
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_NAME = 2;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_INPUT = 11;
  private static final int GRAPH_OUTPUT = 12;
  private static final int GRAPH_VALUE_INFO = 13;
  private static final int GRAPH_SPARSE_INITIALIZER = 15;
  // NodeProto
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP_TYPE = 4;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int NODE_DOMAIN = 7;
  // AttributeProto
  private static final int ATTR_NAME = 1;
  private static final int ATTR_I = 3;
  private static final int ATTR_T = 5;
  private static final int ATTR_G = 6;
  private static final int ATTR_TENSORS = 10;
  private static final int ATTR_GRAPHS = 11;
  private static final int ATTR_SPARSE_TENSOR = 22;
  private static final int ATTR_SPARSE_TENSORS = 23;
  // SparseTensorProto
  private static final int SPARSE_VALUES = 1;
  private static final int SPARSE_INDICES = 2;
  private static final int SPARSE_DIMS = 3;

  private final WireReader in;
  private final boolean keepGraph;
  private int nodes;
  private int tensors;

  private OnnxModelReader(WireReader in, boolean keepGraph) {
    this.in = in;
    this.keepGraph = keepGraph;
  }

  /** Checks the model file; nothing of it is kept. */
  public static CheckedModel check(Path model) throws UnsafeModelException, IOException {
    read(model, OnnxLimits.DEFAULT, false);
    return new CheckedModel(model, null, null);
  }

  public static CheckedModel check(byte[] model) throws UnsafeModelException {
    read(model, OnnxLimits.DEFAULT, false);
    return new CheckedModel(null, model, null);
  }

  /** Checks the model file and keeps its main graph's summary. */
  public static CheckedModel read(Path model) throws UnsafeModelException, IOException {
    return new CheckedModel(model, null, read(model, OnnxLimits.DEFAULT, true));
  }

  public static CheckedModel read(byte[] model) throws UnsafeModelException {
    return new CheckedModel(null, model, read(model, OnnxLimits.DEFAULT, true));
  }

  static OnnxGraph read(Path model, OnnxLimits limits, boolean keepGraph)
      throws UnsafeModelException, IOException {
    long size = Files.size(model);
    if (size > limits.maxFileBytes()) {
      throw new UnsafeModelException(
          Reason.LIMIT_EXCEEDED,
          "the model file has "
              + size
              + " bytes; a single ONNX file holds at most "
              + limits.maxFileBytes()
              + " (larger models keep weights in external files, which are not accepted yet)");
    }
    try (InputStream stream = new BufferedInputStream(Files.newInputStream(model), 1 << 16)) {
      return read(CodedInputStream.newInstance(stream), limits, keepGraph);
    }
  }

  static OnnxGraph read(byte[] model, OnnxLimits limits, boolean keepGraph)
      throws UnsafeModelException {
    if (model.length > limits.maxFileBytes()) {
      throw new UnsafeModelException(
          Reason.LIMIT_EXCEEDED,
          "the model has " + model.length + " bytes, more than " + limits.maxFileBytes());
    }
    try {
      return read(CodedInputStream.newInstance(model), limits, keepGraph);
    } catch (IOException e) {
      throw new IllegalStateException("reading bytes in memory cannot fail this way", e);
    }
  }

  private static OnnxGraph read(CodedInputStream coded, OnnxLimits limits, boolean keepGraph)
      throws UnsafeModelException, IOException {
    WireReader wire = new WireReader(coded, limits);
    try {
      return new OnnxModelReader(wire, keepGraph).model();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      // Truncated, a length past the end, an invalid tag: not a protobuf message at all.
      throw new UnsafeModelException(
          Reason.MALFORMED,
          "the file is not a well-formed ONNX"
              + " model ("
              + e.getMessage()
              + ") at "
              + wire.location());
    } catch (StackOverflowError e) {
      // Cannot happen within OnnxLimits' depth; kept so a regression fails closed.
      throw new UnsafeModelException(Reason.LIMIT_EXCEEDED, "the model nests too deeply");
    }
  }

  private OnnxGraph model() throws IOException, UnsafeModelException {
    OnnxGraph main = null;
    boolean any = false;
    int tag;
    while ((tag = in.tag()) != 0) {
      any = true;
      switch (WireReader.field(tag)) {
        case MODEL_GRAPH -> {
          OnnxGraph graph = in.message(tag, "graph", r -> graph());
          // protobuf merges a repeated singular message; the summary keeps the first, the
          // check has seen both
          main = main == null ? graph : main;
        }
        case MODEL_FUNCTIONS -> in.message(tag, "function", r -> function());
        case MODEL_TRAINING_INFO -> in.message(tag, "training info", r -> trainingInfo());
        default -> in.skip(tag);
      }
    }
    if (!any) {
      throw in.malformed("the file is empty or holds no ONNX model fields");
    }
    return main == null ? OnnxGraph.EMPTY : main;
  }

  private Void trainingInfo() throws IOException, UnsafeModelException {
    int tag;
    while ((tag = in.tag()) != 0) {
      switch (WireReader.field(tag)) {
        case TRAINING_INITIALIZATION -> in.message(tag, "training initialization", r -> graph());
        case TRAINING_ALGORITHM -> in.message(tag, "training algorithm", r -> graph());
        default -> in.skip(tag);
      }
    }
    return null;
  }

  private Void function() throws IOException, UnsafeModelException {
    int index = 0;
    int tag;
    while ((tag = in.tag()) != 0) {
      switch (WireReader.field(tag)) {
        case FUNCTION_NAME -> in.name("function '" + in.string(tag, "function name") + "'");
        case FUNCTION_NODE -> in.message(tag, "node #" + index++, r -> node());
        default -> in.skip(tag);
      }
    }
    return null;
  }

  private OnnxGraph graph() throws IOException, UnsafeModelException {
    List<OnnxGraph.Node> nodeList = keepGraph ? new ArrayList<>() : null;
    Map<String, Long> constants = keepGraph ? new HashMap<>() : null;
    Map<String, List<Long>> shapes = keepGraph ? new HashMap<>() : null;
    int nodeIndex = 0;
    int initializerIndex = 0;
    int tag;
    while ((tag = in.tag()) != 0) {
      switch (WireReader.field(tag)) {
        case GRAPH_NAME -> in.name("graph '" + in.string(tag, "graph name") + "'");
        case GRAPH_NODE -> {
          OnnxGraph.Node node = in.message(tag, "node #" + nodeIndex++, r -> node());
          if (keepGraph) {
            nodeList.add(node);
          }
        }
        case GRAPH_INITIALIZER -> {
          TensorReader.Tensor t =
              in.message(
                  tag, "initializer #" + initializerIndex++, r -> tensor("initializer", false));
          if (keepGraph) {
            constants.put(t.name(), t.elements());
          }
        }
        case GRAPH_SPARSE_INITIALIZER ->
            in.message(tag, "sparse initializer", r -> sparseTensor("sparse initializer"));
        case GRAPH_INPUT, GRAPH_OUTPUT, GRAPH_VALUE_INFO -> {
          if (keepGraph && WireReader.isLengthDelimited(tag)) {
            ValueShapes.Shape s = in.message(tag, "value info", r -> ValueShapes.read(in));
            if (s.dims() != null) {
              shapes.put(s.name(), s.dims());
            }
          } else {
            in.skip(tag);
          }
        }
        default -> in.skip(tag);
      }
    }
    return keepGraph ? new OnnxGraph(nodeList, constants, shapes) : null;
  }

  private OnnxGraph.Node node() throws IOException, UnsafeModelException {
    if (++nodes > in.limits().maxNodes()) {
      throw new UnsafeModelException(
          Reason.LIMIT_EXCEEDED, "the model has more than " + in.limits().maxNodes() + " nodes");
    }
    List<String> inputs = keepGraph ? new ArrayList<>() : null;
    List<String> outputs = keepGraph ? new ArrayList<>() : null;
    Map<String, Long> tensorAttributes = keepGraph ? new HashMap<>() : null;
    List<OnnxGraph> subgraphs = keepGraph ? new ArrayList<>() : null;
    String name = "";
    String opType = "";
    String domain = "";
    Attribute embedMode = null;
    int tag;
    while ((tag = in.tag()) != 0) {
      switch (WireReader.field(tag)) {
        case NODE_INPUT -> add(inputs, in.string(tag, "input name"));
        case NODE_OUTPUT -> add(outputs, in.string(tag, "output name"));
        case NODE_NAME -> {
          name = in.string(tag, "node name");
          in.name("node '" + name + "'");
        }
        case NODE_OP_TYPE -> opType = in.string(tag, "op type");
        case NODE_DOMAIN -> domain = in.string(tag, "domain");
        case NODE_ATTRIBUTE -> {
          Attribute a = in.message(tag, "attribute", r -> attribute(subgraphs));
          if (keepGraph && a.tensorElements() >= 0) {
            tensorAttributes.put(a.name(), a.tensorElements());
          }
          if (a.name().equals("embed_mode")) {
            embedMode = a;
          }
        }
        default -> in.skip(tag);
      }
    }
    // An EP context node carries a precompiled blob for an NPU/GPU provider; with embed_mode 0
    // its ep_cache_context attribute is a file path the provider opens.
    if (opType.equals("EPContext") && embedMode != null && embedMode.i() == 0) {
      throw new UnsafeModelException(
          Reason.EXTERNAL_DATA,
          in.location()
              + " (EPContext)"
              + " refers to a context file instead of embedding it (embed_mode 0)");
    }
    return keepGraph
        ? new OnnxGraph.Node(opType, domain, inputs, outputs, tensorAttributes, subgraphs)
        : null;
  }

  private record Attribute(String name, long i, long tensorElements) {}

  private Attribute attribute(List<OnnxGraph> subgraphs) throws IOException, UnsafeModelException {
    String name = "";
    long i = 0;
    long tensorElements = -1;
    int tag;
    while ((tag = in.tag()) != 0) {
      switch (WireReader.field(tag)) {
        case ATTR_NAME -> {
          name = in.string(tag, "attribute name");
          in.name("attribute '" + name + "'");
        }
        case ATTR_I -> i = in.varint(tag, "attribute value");
        case ATTR_T ->
            tensorElements = in.message(tag, "tensor", r -> tensor("tensor", false)).elements();
        case ATTR_TENSORS -> in.message(tag, "tensor", r -> tensor("tensor", false));
        case ATTR_SPARSE_TENSOR, ATTR_SPARSE_TENSORS ->
            in.message(tag, "sparse tensor", r -> sparseTensor("sparse tensor"));
        case ATTR_G, ATTR_GRAPHS -> {
          OnnxGraph g = in.message(tag, "subgraph", r -> graph());
          if (keepGraph) {
            subgraphs.add(g);
          }
        }
        default -> in.skip(tag);
      }
    }
    return new Attribute(name, i, tensorElements);
  }

  private TensorReader.Tensor tensor(String kind, boolean keepInt64s)
      throws IOException, UnsafeModelException {
    if (++tensors > in.limits().maxTensors()) {
      throw new UnsafeModelException(
          Reason.LIMIT_EXCEEDED,
          "the model has more than " + in.limits().maxTensors() + " tensors");
    }
    return TensorReader.read(in, kind, keepInt64s);
  }

  /**
   * A sparse tensor is values [NNZ] at indices [NNZ] (linear) or [NNZ, rank] (coordinates) of a
   * dense shape; ONNX Runtime expands it into that shape, so every index must fall inside it.
   */
  private Void sparseTensor(String kind) throws IOException, UnsafeModelException {
    TensorReader.Tensor values = null;
    TensorReader.Tensor indices = null;
    WireReader.LongList dims = new WireReader.LongList();
    int tag;
    while ((tag = in.tag()) != 0) {
      switch (WireReader.field(tag)) {
        case SPARSE_VALUES ->
            values = in.message(tag, "values", r -> tensor(kind + " values", false));
        case SPARSE_INDICES ->
            indices = in.message(tag, "indices", r -> tensor(kind + " indices", true));
        case SPARSE_DIMS -> in.int64s(tag, dims, 64, "dimensions");
        default -> in.skip(tag);
      }
    }
    SparseBounds.check(in.location(), values, indices, dims);
    return null;
  }

  private static void add(List<String> list, String value) {
    if (list != null) {
      list.add(value);
    }
  }
}
