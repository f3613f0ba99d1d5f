package dev.modelfleet.agent.inference;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;

/** Reads and writes tensor "data" arrays as primitive arrays of the tensor's datatype. */
final class TensorData {

  private TensorData() {}

  /**
   * Reads the (possibly nested) array at the parser's current START_ARRAY, flattened.
   *
   * @param expected the array size to start with (it grows as needed)
   * @param max most elements accepted: more is a bad request, not an OutOfMemoryError
   */
  static Object read(JsonParser p, String datatype, int expected, int max, String name)
      throws IOException, BadRequestException {
    InferRequestParser.expect(
        p.currentToken() == JsonToken.START_ARRAY,
        "input '" + name + "': \"data\" must be an array");
    // Each call names its column's exact class: the JIT, inlining fill here, calls that class's
    // add directly. Behind one call site taking any Column, every element would pay a virtual
    // call once the agent has seen several datatypes (measured: 5-15 % of the parse).
    return switch (datatype) {
      case "FP32" -> fill(p, new Floats(expected, max, name));
      case "FP64" -> fill(p, new Doubles(expected, max, name));
      case "INT64", "INT32", "INT16", "INT8", "UINT8" ->
          fill(p, new Integers(datatype, expected, max, name));
      case "BOOL" -> fill(p, new Booleans(expected, max, name));
      default ->
          throw new BadRequestException(
              "input '"
                  + name
                  + "' has datatype "
                  + datatype
                  + ", which this agent does not accept (FP32, FP64, INT64, INT32, INT16, INT8,"
                  + " UINT8, BOOL)");
    };
  }

  /** The one loop: walks the nesting and hands every value to the column. */
  private static Object fill(JsonParser p, Column column) throws IOException, BadRequestException {
    int depth = 1;
    while (depth > 0) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_ARRAY) {
        depth++;
      } else if (t == JsonToken.END_ARRAY) {
        depth--;
      } else {
        column.add(p, t);
      }
    }
    return column.values();
  }

  /**
   * The values of one datatype as they are read, in the primitive array they end up in: nothing is
   * boxed or allocated per element, only when the array grows.
   */
  private abstract static class Column {
    final String datatype;
    final int max;
    final String name;
    int size;

    Column(String datatype, int max, String name) {
      this.datatype = datatype;
      this.max = max;
      this.name = name;
    }

    /** Checks the value at {@code t}, makes room and stores it. */
    abstract void add(JsonParser p, JsonToken t) throws IOException, BadRequestException;

    /** The values read, in an array of exactly their number. */
    abstract Object values() throws BadRequestException;

    /**
     * The next array size after {@link #size} elements, or a refusal once {@code max} is reached.
     */
    final int grown() throws BadRequestException {
      if (size >= max) {
        throw new BadRequestException(
            "input '"
                + name
                + "' has more data than this agent takes"
                + " in one request (at most "
                + max
                + " elements): too large");
      }
      return (int) Math.min((long) size * 2 + 1, max);
    }

    final void number(JsonToken t) throws BadRequestException {
      if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
        throw new BadRequestException(
            "input '"
                + name
                + "' is "
                + datatype
                + " but its data holds a non-number; send numbers");
      }
    }
  }

  private static final class Floats extends Column {
    private float[] values;

    Floats(int expected, int max, String name) {
      super("FP32", max, name);
      values = new float[expected];
    }

    @Override
    void add(JsonParser p, JsonToken t) throws IOException, BadRequestException {
      number(t);
      if (size == values.length) {
        values = Arrays.copyOf(values, grown());
      }
      values[size++] = p.getFloatValue();
    }

    @Override
    Object values() {
      return size == values.length ? values : Arrays.copyOf(values, size);
    }
  }

  private static final class Doubles extends Column {
    private double[] values;

    Doubles(int expected, int max, String name) {
      super("FP64", max, name);
      values = new double[expected];
    }

    @Override
    void add(JsonParser p, JsonToken t) throws IOException, BadRequestException {
      number(t);
      if (size == values.length) {
        values = Arrays.copyOf(values, grown());
      }
      values[size++] = p.getDoubleValue();
    }

    @Override
    Object values() {
      return size == values.length ? values : Arrays.copyOf(values, size);
    }
  }

  /** Read as longs, then checked against the datatype's range and narrowed. */
  private static final class Integers extends Column {
    private long[] values;

    Integers(String datatype, int expected, int max, String name) {
      super(datatype, max, name);
      values = new long[expected];
    }

    @Override
    void add(JsonParser p, JsonToken t) throws IOException, BadRequestException {
      if (t != JsonToken.VALUE_NUMBER_INT) {
        throw new BadRequestException(
            "input '"
                + name
                + "' is "
                + datatype
                + " but its data holds "
                + p.getText()
                + "; send integers");
      }
      if (size == values.length) {
        values = Arrays.copyOf(values, grown());
      }
      values[size++] = p.getLongValue();
    }

    @Override
    Object values() throws BadRequestException {
      if (datatype.equals("INT64")) {
        return size == values.length ? values : Arrays.copyOf(values, size);
      }
      long min =
          switch (datatype) {
            case "INT32" -> Integer.MIN_VALUE;
            case "INT16" -> Short.MIN_VALUE;
            case "INT8" -> Byte.MIN_VALUE;
            default -> 0;
          };
      long max =
          switch (datatype) {
            case "INT32" -> Integer.MAX_VALUE;
            case "INT16" -> Short.MAX_VALUE;
            case "INT8" -> Byte.MAX_VALUE;
            default -> 255;
          };
      for (int i = 0; i < size; i++) {
        if (values[i] < min || values[i] > max) {
          throw new BadRequestException(
              "input '" + name + "' value " + values[i] + " is out of range for " + datatype);
        }
      }
      switch (datatype) {
        case "INT32":
          int[] ints = new int[size];
          for (int i = 0; i < size; i++) {
            ints[i] = (int) values[i];
          }
          return ints;
        case "INT16":
          short[] shorts = new short[size];
          for (int i = 0; i < size; i++) {
            shorts[i] = (short) values[i];
          }
          return shorts;
        default:
          byte[] bytes = new byte[size];
          for (int i = 0; i < size; i++) {
            bytes[i] = (byte) values[i];
          }
          return bytes;
      }
    }
  }

  private static final class Booleans extends Column {
    private boolean[] values;

    Booleans(int expected, int max, String name) {
      super("BOOL", max, name);
      values = new boolean[expected];
    }

    @Override
    void add(JsonParser p, JsonToken t) throws BadRequestException {
      if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
        throw new BadRequestException("input '" + name + "' is BOOL; send true/false");
      }
      if (size == values.length) {
        values = Arrays.copyOf(values, grown());
      }
      values[size++] = t == JsonToken.VALUE_TRUE;
    }

    @Override
    Object values() {
      return size == values.length ? values : Arrays.copyOf(values, size);
    }
  }

  static void write(JsonGenerator g, Object data, String datatype) throws IOException {
    if (data instanceof float[] a) {
      // Written as floats (shortest float text), not widened to doubles.
      g.writeStartArray();
      for (float v : a) {
        g.writeNumber(v);
      }
      g.writeEndArray();
    } else if (data instanceof double[] a) {
      g.writeArray(a, 0, a.length);
    } else if (data instanceof long[] a) {
      g.writeArray(a, 0, a.length);
    } else if (data instanceof int[] a) {
      g.writeArray(a, 0, a.length);
    } else if (data instanceof short[] a) {
      g.writeStartArray();
      for (short v : a) {
        g.writeNumber(v);
      }
      g.writeEndArray();
    } else if (data instanceof byte[] a) {
      boolean unsigned = "UINT8".equals(datatype);
      g.writeStartArray();
      for (byte v : a) {
        g.writeNumber(unsigned ? v & 0xff : v);
      }
      g.writeEndArray();
    } else if (data instanceof boolean[] a) {
      g.writeStartArray();
      for (boolean v : a) {
        g.writeBoolean(v);
      }
      g.writeEndArray();
    } else {
      throw new IOException("cannot serialize " + data.getClass());
    }
  }
}
