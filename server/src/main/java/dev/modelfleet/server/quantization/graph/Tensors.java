package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads and writes the tensor payloads the derivations touch. Every read checks the declared
 * dimensions against the data actually present first, so a tensor that declares 2^62 elements is
 * refused instead of allocated.
 */
public final class Tensors {

  public static final int FLOAT = TensorProto.DataType.FLOAT_VALUE;
  public static final int FLOAT16 = TensorProto.DataType.FLOAT16_VALUE;
  static final int UINT8 = TensorProto.DataType.UINT8_VALUE;
  static final int INT64 = TensorProto.DataType.INT64_VALUE;

  private Tensors() {}

  /** Product of the dims, or -1 when negative, overflowing or above {@code Integer.MAX_VALUE}. */
  static long elements(TensorProto t) {
    long n = 1;
    for (long d : t.getDimsList()) {
      if (d < 0) {
        return -1;
      }
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        return -1;
      }
    }
    return n > Integer.MAX_VALUE ? -1 : n;
  }

  static boolean isExternal(TensorProto t) {
    return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
  }

  static float[] floats(TensorProto t) {
    if (t.getDataType() != FLOAT) {
      throw new DerivationException("tensor '" + t.getName() + "' is not float32");
    }
    if (isExternal(t)) {
      throw new DerivationException(
          "tensor '" + t.getName() + "' keeps its data in an external file");
    }
    long declared = elements(t);
    long held = t.getRawData().isEmpty() ? t.getFloatDataCount() : t.getRawData().size() / 4L;
    if (declared < 0 || declared != held) {
      throw new DerivationException(
          "tensor '"
              + t.getName()
              + "' declares dims "
              + t.getDimsList()
              + " but holds "
              + held
              + " values");
    }
    float[] out = new float[(int) declared];
    if (!t.getRawData().isEmpty()) {
      t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    } else {
      for (int i = 0; i < out.length; i++) {
        out[i] = t.getFloatData(i);
      }
    }
    return out;
  }

  public static TensorProto floatTensor(String name, long[] dims, float[] values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(values);
    return tensor(name, FLOAT, dims, ByteString.copyFrom(buf.array()));
  }

  static TensorProto uint8Tensor(String name, long[] dims, byte[] values) {
    return tensor(name, UINT8, dims, ByteString.copyFrom(values));
  }

  static TensorProto int64Tensor(String name, long[] dims, long[] values) {
    ByteBuffer buf = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    buf.asLongBuffer().put(values);
    return tensor(name, INT64, dims, ByteString.copyFrom(buf.array()));
  }

  /** The same tensor in float16 (raw little-endian halves), name and dims kept. */
  static TensorProto toFloat16(TensorProto t) {
    float[] values = floats(t);
    ByteBuffer buf = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      buf.putShort(toHalf(v));
    }
    return t.toBuilder()
        .clearFloatData()
        .setDataType(FLOAT16)
        .setRawData(ByteString.copyFrom(buf.array()))
        .build();
  }

  private static TensorProto tensor(String name, int type, long[] dims, ByteString raw) {
    TensorProto.Builder b =
        TensorProto.newBuilder().setName(name).setDataType(type).setRawData(raw);
    for (long d : dims) {
      b.addDims(d);
    }
    return b.build();
  }

  /**
   * IEEE 754 binary16, rounded to nearest even. Finite values beyond the half range clamp to ±65504
   * rather than becoming infinite, so large "minus infinity" masks stay masks.
   */
  public static short toHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xff;
    int mant = bits & 0x7fffff;
    if (exp == 0xff) {
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) {
      return (short) (sign | 0x7bff);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      int m = mant | 0x800000;
      int shift = 14 - e;
      int half = m >> shift;
      int rem = m & ((1 << shift) - 1);
      int halfway = 1 << (shift - 1);
      if (rem > halfway || (rem == halfway && (half & 1) == 1)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >> 13);
    int rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
      half++;
    }
    if (half >= 0x7c00) {
      half = 0x7bff;
    }
    return (short) (sign | half);
  }
}
