package dev.modelfleet.server.quantization;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The element types a sample file may hold: little-endian (or, for one byte, order-free) numbers.
 * Floats feed float inputs; integers feed integer inputs, and uint8 (images) feeds either.
 */
enum NpyDtype {
  FLOAT32(4, true),
  FLOAT16(2, true),
  INT64(8, false),
  INT32(4, false),
  UINT8(1, false);

  private final int size;
  private final boolean floating;

  NpyDtype(int size, boolean floating) {
    this.size = size;
    this.floating = floating;
  }

  int size() {
    return size;
  }

  /** Whether an input of ONNX element type float can take it. */
  boolean feedsFloat() {
    return floating || this == UINT8;
  }

  /** Whether an input of ONNX element type int64 or int32 can take it. */
  boolean feedsInteger() {
    return !floating;
  }

  /** NumPy's descr strings; '=' (native) is what NumPy never writes to a file. */
  static Optional<NpyDtype> parse(String descr) {
    return Optional.ofNullable(
        switch (descr) {
          case "<f4" -> FLOAT32;
          case "<f2" -> FLOAT16;
          case "<i8" -> INT64;
          case "<i4" -> INT32;
          case "|u1", "<u1" -> UINT8;
          default -> null;
        });
  }

  /** The element at the buffer's position (little-endian), as float. */
  float readFloat(ByteBuffer b) {
    return switch (this) {
      case FLOAT32 -> b.getFloat();
      case FLOAT16 -> halfToFloat(b.getShort());
      case INT64 -> b.getLong();
      case INT32 -> b.getInt();
      case UINT8 -> b.get() & 0xff;
    };
  }

  /** The element at the buffer's position (little-endian), as long; integer types only. */
  long readLong(ByteBuffer b) {
    return switch (this) {
      case INT64 -> b.getLong();
      case INT32 -> b.getInt();
      case UINT8 -> b.get() & 0xff;
      case FLOAT32, FLOAT16 -> throw new IllegalStateException("not an integer type: " + this);
    };
  }

  /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
  static float halfToFloat(short half) {
    int h = half & 0xffff;
    int exponent = (h >>> 10) & 0x1f;
    int mantissa = h & 0x3ff;
    float value;
    if (exponent == 0) {
      value = mantissa * 0x1p-24f; // subnormal
    } else if (exponent == 31) {
      value = mantissa == 0 ? Float.POSITIVE_INFINITY : Float.NaN;
    } else {
      value = Float.intBitsToFloat(((exponent + 112) << 23) | (mantissa << 13));
    }
    return (h & 0x8000) != 0 ? -value : value;
  }
}
