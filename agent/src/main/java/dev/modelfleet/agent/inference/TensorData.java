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
    switch (datatype) {
      case "FP32":
        {
          float[] out = new float[expected];
          int n = 0;
          int depth = 1;
          while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
              depth++;
            } else if (t == JsonToken.END_ARRAY) {
              depth--;
            } else {
              number(t, name, datatype);
              if (n == out.length) {
                out = Arrays.copyOf(out, grow(n, max, name));
              }
              out[n++] = p.getFloatValue();
            }
          }
          return n == out.length ? out : Arrays.copyOf(out, n);
        }
      case "FP64":
        {
          double[] out = new double[expected];
          int n = 0;
          int depth = 1;
          while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
              depth++;
            } else if (t == JsonToken.END_ARRAY) {
              depth--;
            } else {
              number(t, name, datatype);
              if (n == out.length) {
                out = Arrays.copyOf(out, grow(n, max, name));
              }
              out[n++] = p.getDoubleValue();
            }
          }
          return n == out.length ? out : Arrays.copyOf(out, n);
        }
      case "INT64", "INT32", "INT16", "INT8", "UINT8":
        {
          long[] out = new long[expected];
          int n = 0;
          int depth = 1;
          while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
              depth++;
            } else if (t == JsonToken.END_ARRAY) {
              depth--;
            } else {
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
              if (n == out.length) {
                out = Arrays.copyOf(out, grow(n, max, name));
              }
              out[n++] = p.getLongValue();
            }
          }
          long[] values = n == out.length ? out : Arrays.copyOf(out, n);
          return narrow(values, datatype, name);
        }
      case "BOOL":
        {
          boolean[] out = new boolean[expected];
          int n = 0;
          int depth = 1;
          while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_ARRAY) {
              depth++;
            } else if (t == JsonToken.END_ARRAY) {
              depth--;
            } else {
              if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                throw new BadRequestException("input '" + name + "' is BOOL; send true/false");
              }
              if (n == out.length) {
                out = Arrays.copyOf(out, grow(n, max, name));
              }
              out[n++] = t == JsonToken.VALUE_TRUE;
            }
          }
          return n == out.length ? out : Arrays.copyOf(out, n);
        }
      default:
        throw new BadRequestException(
            "input '"
                + name
                + "' has datatype "
                + datatype
                + ", which this agent does not accept (FP32, FP64, INT64, INT32, INT16, INT8,"
                + " UINT8, BOOL)");
    }
  }

  /** The next array size after {@code n} elements, or a refusal once {@code max} is reached. */
  private static int grow(int n, int max, String name) throws BadRequestException {
    if (n >= max) {
      throw new BadRequestException(
          "input '"
              + name
              + "' has more data than this agent takes"
              + " in one request (at most "
              + max
              + " elements): too large");
    }
    return (int) Math.min((long) n * 2 + 1, max);
  }

  private static void number(JsonToken t, String name, String datatype) throws BadRequestException {
    if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
      throw new BadRequestException(
          "input '" + name + "' is " + datatype + " but its data holds a non-number; send numbers");
    }
  }

  private static Object narrow(long[] values, String datatype, String name)
      throws BadRequestException {
    long min;
    long max;
    switch (datatype) {
      case "INT64":
        return values;
      case "INT32":
        min = Integer.MIN_VALUE;
        max = Integer.MAX_VALUE;
        break;
      case "INT16":
        min = Short.MIN_VALUE;
        max = Short.MAX_VALUE;
        break;
      case "INT8":
        min = Byte.MIN_VALUE;
        max = Byte.MAX_VALUE;
        break;
      default:
        min = 0;
        max = 255;
    }
    for (long v : values) {
      if (v < min || v > max) {
        throw new BadRequestException(
            "input '" + name + "' value " + v + " is out of range for " + datatype);
      }
    }
    switch (datatype) {
      case "INT32":
        {
          int[] out = new int[values.length];
          for (int i = 0; i < out.length; i++) {
            out[i] = (int) values[i];
          }
          return out;
        }
      case "INT16":
        {
          short[] out = new short[values.length];
          for (int i = 0; i < out.length; i++) {
            out[i] = (short) values[i];
          }
          return out;
        }
      default:
        {
          byte[] out = new byte[values.length];
          for (int i = 0; i < out.length; i++) {
            out[i] = (byte) values[i];
          }
          return out;
        }
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
