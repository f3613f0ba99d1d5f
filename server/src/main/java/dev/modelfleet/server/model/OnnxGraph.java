package dev.modelfleet.server.model;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model's graph a cost estimate needs (nodes, constant tensor sizes,
 * declared shapes), read straight from the protobuf wire format. Tensor contents are skipped,
 * never loaded, and the server needs no ONNX protobuf classes for it. Field numbers are those of
 * onnx.proto, which ONNX keeps stable.
 */
record OnnxGraph(
    List<Node> nodes,
    Map<String, Long> constantSizes,
    Map<String, List<Long>> shapes) {

  record Node(String opType, List<String> inputs, List<String> outputs, Map<String, Long> tensorAttributes,
      List<OnnxGraph> subgraphs) {}

  static OnnxGraph readModel(CodedInputStream in) throws IOException {
    OnnxGraph graph = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) == 7 && isMessage(tag)) { // ModelProto.graph
        graph = nested(in, OnnxGraph::readGraph);
      } else {
        in.skipField(tag);
      }
    }
    return graph == null ? new OnnxGraph(List.of(), Map.of(), Map.of()) : graph;
  }

  private static OnnxGraph readGraph(CodedInputStream in) throws IOException {
    List<Node> nodes = new ArrayList<>();
    Map<String, Long> constants = new HashMap<>();
    Map<String, List<Long>> shapes = new HashMap<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (!isMessage(tag)) {
        in.skipField(tag);
      } else if (field == 1) { // node
        nodes.add(nested(in, OnnxGraph::readNode));
      } else if (field == 5) { // initializer
        Tensor t = nested(in, OnnxGraph::readTensor);
        constants.put(t.name(), t.elements());
      } else if (field == 11 || field == 12 || field == 13) { // input, output, value_info
        Shape s = nested(in, OnnxGraph::readValueInfo);
        if (s.dims() != null) {
          shapes.put(s.name(), s.dims());
        }
      } else {
        in.skipField(tag);
      }
    }
    return new OnnxGraph(nodes, constants, shapes);
  }

  private static Node readNode(CodedInputStream in) throws IOException {
    List<String> inputs = new ArrayList<>();
    List<String> outputs = new ArrayList<>();
    Map<String, Long> tensorAttributes = new HashMap<>();
    List<OnnxGraph> subgraphs = new ArrayList<>();
    String opType = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> inputs.add(in.readString());
        case 2 -> outputs.add(in.readString());
        case 4 -> opType = in.readString();
        case 5 -> nested(in, a -> readAttribute(a, tensorAttributes, subgraphs));
        default -> in.skipField(tag);
      }
    }
    return new Node(opType, inputs, outputs, tensorAttributes, subgraphs);
  }

  private static Void readAttribute(CodedInputStream in, Map<String, Long> tensors, List<OnnxGraph> graphs)
      throws IOException {
    String name = "";
    Long tensorElements = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> name = in.readString();
        case 5 -> tensorElements = nested(in, OnnxGraph::readTensor).elements(); // t
        case 6, 11 -> graphs.add(nested(in, OnnxGraph::readGraph)); // g, graphs
        default -> in.skipField(tag);
      }
    }
    if (tensorElements != null) {
      tensors.put(name, tensorElements);
    }
    return null;
  }

  private record Tensor(String name, long elements) {}

  private static Tensor readTensor(CodedInputStream in) throws IOException {
    long elements = 1;
    String name = "";
    int tag;
    while ((tag = in.readTag()) != 0) {
      int field = WireFormat.getTagFieldNumber(tag);
      if (field == 1 && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
        elements = Math.multiplyExact(elements, Math.max(0, in.readInt64()));
      } else if (field == 1 && isMessage(tag)) { // packed dims
        int limit = in.pushLimit(in.readRawVarint32());
        while (in.getBytesUntilLimit() > 0) {
          elements = Math.multiplyExact(elements, Math.max(0, in.readInt64()));
        }
        in.popLimit(limit);
      } else if (field == 8) {
        name = in.readString();
      } else {
        in.skipField(tag); // raw_data and typed data: the bulk of the file, never read
      }
    }
    return new Tensor(name, elements);
  }

  private record Shape(String name, List<Long> dims) {}

  private static Shape readValueInfo(CodedInputStream in) throws IOException {
    String name = "";
    List<Long> dims = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> name = in.readString();
        case 2 -> dims = nested(in, t -> messageField(t, 1, tt -> messageField(tt, 2, OnnxGraph::readDims)));
        default -> in.skipField(tag);
      }
    }
    return new Shape(name, dims);
  }

  /** TensorShapeProto: repeated Dimension { dim_value = 1 | dim_param = 2 }; -1 when symbolic. */
  private static List<Long> readDims(CodedInputStream in) throws IOException {
    List<Long> dims = new ArrayList<>();
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) == 1 && isMessage(tag)) {
        dims.add(nested(in, d -> {
          long value = -1;
          int t;
          while ((t = d.readTag()) != 0) {
            if (WireFormat.getTagFieldNumber(t) == 1
                && WireFormat.getTagWireType(t) == WireFormat.WIRETYPE_VARINT) {
              value = d.readInt64();
            } else {
              d.skipField(t);
            }
          }
          return value;
        }));
      } else {
        in.skipField(tag);
      }
    }
    return dims;
  }

  /** The one message field {@code number} of the current message, read by {@code reader}. */
  private static <T> T messageField(CodedInputStream in, int number, Reader<T> reader) throws IOException {
    T found = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) == number && isMessage(tag)) {
        found = nested(in, reader);
      } else {
        in.skipField(tag);
      }
    }
    return found;
  }

  private interface Reader<T> {
    T read(CodedInputStream in) throws IOException;
  }

  private static <T> T nested(CodedInputStream in, Reader<T> reader) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    T value = reader.read(in);
    in.checkLastTagWas(0);
    in.popLimit(limit);
    return value;
  }

  private static boolean isMessage(int tag) {
    return WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
  }
}
