package dev.modelfleet.onnx;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Declared tensor shapes of graph inputs, outputs and value_info entries. */
final class ValueShapes {

  /**
   * @param dims null when the value is not a tensor or declares no shape
   */
  record Shape(String name, List<Long> dims) {}

  private ValueShapes() {}

  /** ValueInfoProto { name = 1; type = 2 }; TypeProto { tensor_type = 1 }; Tensor { shape = 2 }. */
  static Shape read(WireReader in) throws IOException, UnsafeModelException {
    String name = "";
    List<Long> dims = null;
    int tag;
    while ((tag = in.tag()) != 0) {
      switch (WireReader.field(tag)) {
        case 1 -> name = in.string(tag, "value name");
        case 2 ->
            dims =
                in.message(
                    tag,
                    "type",
                    t ->
                        field(t, 1, "tensor type", tt -> field(tt, 2, "shape", ValueShapes::dims)));
        default -> in.skip(tag);
      }
    }
    return new Shape(name, dims);
  }

  /** TensorShapeProto: repeated Dimension { dim_value = 1 | dim_param = 2 }; -1 when symbolic. */
  private static List<Long> dims(WireReader in) throws IOException, UnsafeModelException {
    List<Long> dims = new ArrayList<>();
    int tag;
    while ((tag = in.tag()) != 0) {
      if (WireReader.field(tag) == 1) {
        if (dims.size() >= 64) {
          throw new UnsafeModelException(
              UnsafeModelException.Reason.LIMIT_EXCEEDED,
              "a shape with more than 64 dimensions at " + in.location());
        }
        dims.add(in.message(tag, "dimension", ValueShapes::dimension));
      } else {
        in.skip(tag);
      }
    }
    return dims;
  }

  private static long dimension(WireReader in) throws IOException, UnsafeModelException {
    long value = -1;
    int tag;
    while ((tag = in.tag()) != 0) {
      if (WireReader.field(tag) == 1) {
        value = in.varint(tag, "dim_value");
      } else {
        in.skip(tag);
      }
    }
    return value;
  }

  /** The one message field {@code number} of the current message, read by {@code reader}. */
  private static <T> T field(
      WireReader in, int number, String where, WireReader.MessageReader<T> reader)
      throws IOException, UnsafeModelException {
    T found = null;
    int tag;
    while ((tag = in.tag()) != 0) {
      if (WireReader.field(tag) == number && WireReader.isLengthDelimited(tag)) {
        found = in.message(tag, where, reader);
      } else {
        in.skip(tag);
      }
    }
    return found;
  }
}
