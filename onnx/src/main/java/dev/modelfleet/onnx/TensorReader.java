package dev.modelfleet.onnx;

import dev.modelfleet.onnx.UnsafeModelException.Reason;
import java.io.IOException;

/**
 * Reads one TensorProto without holding its data, and refuses it when ONNX Runtime would read bytes
 * from outside the model for it, or when its declared shape and type disagree with the data it
 * carries. Field numbers are onnx.proto's, which ONNX keeps stable.
 */
final class TensorReader {

  // TensorProto fields
  private static final int DIMS = 1;
  private static final int DATA_TYPE = 2;
  private static final int SEGMENT = 3;
  private static final int FLOAT_DATA = 4;
  private static final int INT32_DATA = 5;
  private static final int STRING_DATA = 6;
  private static final int INT64_DATA = 7;
  private static final int NAME = 8;
  private static final int RAW_DATA = 9;
  private static final int DOUBLE_DATA = 10;
  private static final int UINT64_DATA = 11;
  private static final int EXTERNAL_DATA = 13;
  private static final int DATA_LOCATION = 14;

  private static final int INT64 = 7;

  /** What the reader learned about a tensor that passed. */
  record Tensor(
      String name, int dataType, long[] dims, long elements, WireReader.LongList int64s) {}

  private TensorReader() {}

  /**
   * Reads the tensor at the current position (its limit pushed by the caller); with {@code
   * keepInt64s} the values of an INT64 tensor are kept, up to the limit for sparse indices, for the
   * sparse bounds check.
   */
  static Tensor read(WireReader in, String kind, boolean keepInt64s)
      throws IOException, UnsafeModelException {
    WireReader.LongList dims = new WireReader.LongList();
    WireReader.LongList int64s = keepInt64s ? new WireReader.LongList() : null;
    long maxInt64s = in.limits().maxSparseIndexBytes() / Long.BYTES;
    String name = "";
    int dataType = 0;
    long rawLength = -1;
    long[] typed = new long[12]; // values per typed field, by field number
    boolean external = false;
    boolean segmented = false;
    int tag;
    while ((tag = in.tag()) != 0) {
      switch (WireReader.field(tag)) {
        case DIMS -> in.int64s(tag, dims, 64, "dimensions");
        case DATA_TYPE -> dataType = (int) in.varint(tag, "data_type");
        case SEGMENT -> {
          segmented = true;
          in.skip(tag);
        }
        case NAME -> {
          name = in.string(tag, "tensor name");
          in.name(kind + " '" + name + "'");
        }
        case RAW_DATA ->
            rawLength =
                int64s != null && dataType == INT64
                    ? in.rawInt64s(tag, int64s, maxInt64s, "sparse indices")
                    : in.skipBytes(tag, "raw_data");
        case FLOAT_DATA -> typed[FLOAT_DATA] += in.countRepeated(tag, 4, "float_data");
        case INT32_DATA -> typed[INT32_DATA] += in.countRepeated(tag, 0, "int32_data");
        case STRING_DATA -> {
          in.skipBytes(tag, "string_data");
          typed[STRING_DATA]++;
        }
        case INT64_DATA -> {
          if (int64s != null) {
            int before = int64s.size();
            in.int64s(tag, int64s, maxInt64s, "sparse indices");
            typed[INT64_DATA] += int64s.size() - before;
          } else {
            typed[INT64_DATA] += in.countRepeated(tag, 0, "int64_data");
          }
        }
        case DOUBLE_DATA -> typed[DOUBLE_DATA] += in.countRepeated(tag, 8, "double_data");
        case UINT64_DATA -> typed[UINT64_DATA] += in.countRepeated(tag, 0, "uint64_data");
        case EXTERNAL_DATA -> {
          in.skip(tag);
          external = true;
        }
        case DATA_LOCATION -> external |= in.varint(tag, "data_location") != 0;
        default -> in.skip(tag);
      }
    }
    String where = in.location();
    if (external) {
      throw new UnsafeModelException(
          Reason.EXTERNAL_DATA,
          where
              + " keeps its data in an"
              + " external file; ModelFleet accepts only models whose weights are inside the .onnx"
              + " file (save the model without external data, e.g. onnx.save(model, path,"
              + " save_as_external_data=False), if it is under 2 GB)");
    }
    if (segmented) {
      throw new UnsafeModelException(
          Reason.MALFORMED, where + " is segmented, which ONNX" + " Runtime does not support");
    }
    long[] shape = new long[dims.size()];
    long elements = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i);
      if (shape[i] < 0) {
        throw new UnsafeModelException(Reason.MALFORMED, where + " has a negative dimension");
      }
      elements = multiply(elements, shape[i], where);
    }
    checkData(where, dataType, elements, rawLength, typed);
    return new Tensor(name, dataType, shape, elements, int64s);
  }

  private static void checkData(
      String where, int dataType, long elements, long rawLength, long[] typed)
      throws UnsafeModelException {
    DataType type = DataType.of(dataType);
    if (type == null) {
      throw new UnsafeModelException(
          Reason.MALFORMED, where + " has data type " + dataType + ", which ONNX does not define");
    }
    long typedTotal = 0;
    for (long count : typed) {
      typedTotal += count;
    }
    if (rawLength >= 0) {
      if (typedTotal > 0) {
        throw new UnsafeModelException(
            Reason.MALFORMED, where + " holds both raw_data and" + " typed data");
      }
      if (type.bits == 0) {
        throw new UnsafeModelException(
            Reason.MALFORMED,
            where + " is a string tensor with" + " raw_data, which ONNX does not allow");
      }
      long expected = ceilDiv(multiply(elements, type.bits, where), 8);
      if (rawLength != expected) {
        throw mismatch(
            where, type, elements, rawLength + " bytes of raw_data", expected + " bytes");
      }
      return;
    }
    long expected = ceilDiv(multiply(elements, type.perValue, where), type.valuesPerSlot);
    long held = typed[type.field];
    if (held != expected || typedTotal != held) {
      throw mismatch(
          where,
          type,
          elements,
          typedTotal + " typed values",
          expected + " values in " + type.fieldName);
    }
  }

  private static UnsafeModelException mismatch(
      String where, DataType type, long elements, String held, String expected) {
    return new UnsafeModelException(
        Reason.TENSOR_SIZE_MISMATCH,
        where
            + " declares "
            + elements
            + " "
            + type
            + " elements ("
            + expected
            + ") but holds "
            + held);
  }

  static long multiply(long a, long b, String where) throws UnsafeModelException {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      throw new UnsafeModelException(
          Reason.TENSOR_SIZE_MISMATCH, where + " declares more elements than a 64-bit count holds");
    }
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }

  /**
   * ONNX element types: bits per element in raw_data (0 for strings), and where typed data lives
   * (the field, values per element, elements per value for packed 4- and 2-bit types).
   */
  enum DataType {
    FLOAT(1, 32, FLOAT_DATA, 1, 1),
    UINT8(2, 8, INT32_DATA, 1, 1),
    INT8(3, 8, INT32_DATA, 1, 1),
    UINT16(4, 16, INT32_DATA, 1, 1),
    INT16(5, 16, INT32_DATA, 1, 1),
    INT32(6, 32, INT32_DATA, 1, 1),
    INT64(7, 64, INT64_DATA, 1, 1),
    STRING(8, 0, STRING_DATA, 1, 1),
    BOOL(9, 8, INT32_DATA, 1, 1),
    FLOAT16(10, 16, INT32_DATA, 1, 1),
    DOUBLE(11, 64, DOUBLE_DATA, 1, 1),
    UINT32(12, 32, UINT64_DATA, 1, 1),
    UINT64(13, 64, UINT64_DATA, 1, 1),
    COMPLEX64(14, 64, FLOAT_DATA, 2, 1),
    COMPLEX128(15, 128, DOUBLE_DATA, 2, 1),
    BFLOAT16(16, 16, INT32_DATA, 1, 1),
    FLOAT8E4M3FN(17, 8, INT32_DATA, 1, 1),
    FLOAT8E4M3FNUZ(18, 8, INT32_DATA, 1, 1),
    FLOAT8E5M2(19, 8, INT32_DATA, 1, 1),
    FLOAT8E5M2FNUZ(20, 8, INT32_DATA, 1, 1),
    UINT4(21, 4, INT32_DATA, 1, 2),
    INT4(22, 4, INT32_DATA, 1, 2),
    FLOAT4E2M1(23, 4, INT32_DATA, 1, 2),
    FLOAT8E8M0(24, 8, INT32_DATA, 1, 1),
    UINT2(25, 2, INT32_DATA, 1, 4),
    INT2(26, 2, INT32_DATA, 1, 4);

    private static final DataType[] BY_NUMBER = new DataType[27];

    static {
      for (DataType t : values()) {
        BY_NUMBER[t.number] = t;
      }
    }

    final int number;
    final int bits;
    final int field;
    final int perValue;
    final int valuesPerSlot;
    final String fieldName;

    DataType(int number, int bits, int field, int perValue, int valuesPerSlot) {
      this.number = number;
      this.bits = bits;
      this.field = field;
      this.perValue = perValue;
      this.valuesPerSlot = valuesPerSlot;
      this.fieldName =
          switch (field) {
            case FLOAT_DATA -> "float_data";
            case INT32_DATA -> "int32_data";
            case STRING_DATA -> "string_data";
            case INT64_DATA -> "int64_data";
            case DOUBLE_DATA -> "double_data";
            default -> "uint64_data";
          };
    }

    static DataType of(int number) {
      return number > 0 && number < BY_NUMBER.length ? BY_NUMBER[number] : null;
    }
  }
}
