package dev.modelfleet.agent.inference;

import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Tensors as raw bytes, the way the Open Inference Protocol's binary forms carry them (gRPC
 * raw_input_contents, REST binary extension): elements flat in row-major order, little-endian, no
 * padding; BOOL one byte each. The length is checked against the shape before anything is
 * allocated, so a short or long buffer is a client error that names both lengths.
 */
public final class RawTensors {

  private RawTensors() {}

  /** Bytes per element, or -1 for a datatype this agent does not carry raw. */
  public static int elementSize(String datatype) {
    return switch (datatype) {
      case "FP64", "INT64" -> 8;
      case "FP32", "INT32" -> 4;
      case "INT16" -> 2;
      case "INT8", "UINT8", "BOOL" -> 1;
      default -> -1;
    };
  }

  /** The tensor named {@code name} from {@code bytes} (read from its position to its limit). */
  public static Tensor decode(String name, String datatype, long[] shape, ByteBuffer bytes)
      throws InferenceException {
    int size = elementSize(datatype);
    if (size < 0) {
      throw new InferenceException(
          true,
          "input '"
              + name
              + "' has datatype "
              + datatype
              + ", which this agent does not take; use one of FP32, FP64, INT64, INT32, INT16,"
              + " INT8, UINT8, BOOL");
    }
    long count = Tensor.elementCount(shape);
    if (count < 0 || count * size > Integer.MAX_VALUE - 16) {
      throw new InferenceException(
          true, "input '" + name + "' has shape " + Arrays.toString(shape) + ", too large");
    }
    if (bytes.remaining() != count * size) {
      throw new InferenceException(
          true,
          "input '"
              + name
              + "' has "
              + bytes.remaining()
              + " bytes of raw contents but its shape "
              + Arrays.toString(shape)
              + " of "
              + datatype
              + " needs "
              + count * size);
    }
    ByteBuffer b = bytes.slice().order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) count;
    Object data =
        switch (datatype) {
          case "FP32" -> {
            float[] a = new float[n];
            b.asFloatBuffer().get(a);
            yield a;
          }
          case "FP64" -> {
            double[] a = new double[n];
            b.asDoubleBuffer().get(a);
            yield a;
          }
          case "INT64" -> {
            long[] a = new long[n];
            b.asLongBuffer().get(a);
            yield a;
          }
          case "INT32" -> {
            int[] a = new int[n];
            b.asIntBuffer().get(a);
            yield a;
          }
          case "INT16" -> {
            short[] a = new short[n];
            b.asShortBuffer().get(a);
            yield a;
          }
          case "BOOL" -> {
            boolean[] a = new boolean[n];
            for (int i = 0; i < n; i++) {
              a[i] = b.get(i) != 0;
            }
            yield a;
          }
          default -> {
            byte[] a = new byte[n];
            b.get(a);
            yield a;
          }
        };
    return new Tensor(name, datatype, shape, data);
  }

  /** The number of bytes {@link #encode} writes for {@code tensor}. */
  public static int byteSize(Tensor tensor) {
    return tensor.length() * Math.max(1, elementSize(tensor.datatype()));
  }

  /** Writes {@code tensor}'s elements into {@code out} from its position, little-endian. */
  public static void encode(Tensor tensor, ByteBuffer out) {
    ByteBuffer b = out.order(ByteOrder.LITTLE_ENDIAN);
    Object data = tensor.data();
    if (data instanceof float[] a) {
      b.asFloatBuffer().put(a);
      b.position(b.position() + a.length * 4);
    } else if (data instanceof double[] a) {
      b.asDoubleBuffer().put(a);
      b.position(b.position() + a.length * 8);
    } else if (data instanceof long[] a) {
      b.asLongBuffer().put(a);
      b.position(b.position() + a.length * 8);
    } else if (data instanceof int[] a) {
      b.asIntBuffer().put(a);
      b.position(b.position() + a.length * 4);
    } else if (data instanceof short[] a) {
      b.asShortBuffer().put(a);
      b.position(b.position() + a.length * 2);
    } else if (data instanceof boolean[] a) {
      for (boolean v : a) {
        b.put((byte) (v ? 1 : 0));
      }
    } else if (data instanceof byte[] a) {
      b.put(a);
    } else {
      throw new IllegalArgumentException(
          "output '" + tensor.name() + "' holds " + data.getClass().getSimpleName());
    }
  }

  /** {@code tensor}'s elements as a new little-endian byte array. */
  public static byte[] encode(Tensor tensor) {
    byte[] bytes = new byte[byteSize(tensor)];
    encode(tensor, ByteBuffer.wrap(bytes));
    return bytes;
  }
}
