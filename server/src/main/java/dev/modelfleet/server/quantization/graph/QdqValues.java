package dev.modelfleet.server.quantization.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The numbers of int8-qdq, apart from the graph: uint8 activation parameters from a range, int8
 * weights per output channel, int32 biases on the scale input × weight, uint8 constant operands.
 * {@link Int8QdqQuantizer} decides where each goes.
 */
final class QdqValues {

  private QdqValues() {}

  /** int8 values, symmetric (zero point 0), one scale per channel along {@code axis} (0 or 1). */
  record PerChannel(byte[] values, float[] scales, int channels) {}

  /** An int32 bias (little-endian raw bytes) and its scales, one per channel. */
  record Bias(byte[] raw, float[] scales) {}

  /** uint8 values with their scale and zero point ({@link #params}). */
  record Uint8(byte[] values, float[] params) {}

  /** [scale, zero point] of uint8 over [lo, hi] widened to hold 0. */
  static float[] params(float[] range) {
    float lo = Math.min(0f, range[0]);
    float hi = Math.max(0f, range[1]);
    float scale = (hi - lo) / 255f;
    if (!(scale > 1e-12f) || !Float.isFinite(scale)) {
      return new float[] {1f, 0f};
    }
    float zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
    return new float[] {scale, zeroPoint};
  }

  /**
   * Whether every non-zero value of a constant operand survives one uint8 scale over its range
   * within a quarter of itself: a per-channel gain of 1 beside one of 1000 would round to 0.
   */
  static boolean fitsOneScale(float[] values) {
    float lo = 0;
    float hi = 0;
    for (float v : values) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    float step = (hi - lo) / 255f;
    for (float v : values) {
      if (v != 0 && Math.abs(v) < 2 * step) {
        return false;
      }
    }
    return true;
  }

  /** A constant operand as uint8 over its own range. */
  static Uint8 uint8(float[] v) {
    float lo = 0;
    float hi = 0;
    for (float x : v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    float[] p = params(new float[] {lo, hi});
    byte[] q = new byte[v.length];
    for (int i = 0; i < v.length; i++) {
      q[i] = (byte) Math.max(0, Math.min(255, Math.round(v[i] / p[0] + p[1])));
    }
    return new Uint8(q, p);
  }

  /** A weight of shape {@code dims} as int8, symmetric per channel along {@code axis}. */
  static PerChannel perChannel(float[] values, long[] dims, int axis) {
    int channels = (int) dims[axis];
    int inner = axis == 0 ? values.length / channels : 1;
    float[] scales = new float[channels];
    for (int i = 0; i < values.length; i++) {
      int c = axis == 0 ? i / inner : i % channels;
      scales[c] = Math.max(scales[c], Math.abs(values[i]));
    }
    for (int c = 0; c < channels; c++) {
      scales[c] = scales[c] == 0 || !Float.isFinite(scales[c]) ? 1f : scales[c] / 127f;
    }
    byte[] q = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      int c = axis == 0 ? i / inner : i % channels;
      q[i] = (byte) Math.max(-127, Math.min(127, Math.round(values[i] / scales[c])));
    }
    return new PerChannel(q, scales, channels);
  }

  /** A bias as int32 on scale input scale × each channel's weight scale, as QLinearConv wants. */
  static Bias bias(float[] bias, float inputScale, float[] weightScales) {
    int channels = weightScales.length;
    float[] scales = new float[channels];
    ByteBuffer raw = ByteBuffer.allocate(channels * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int c = 0; c < channels; c++) {
      scales[c] = inputScale * weightScales[c];
      long v = Math.round(bias[c] / scales[c]);
      raw.putInt((int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, v)));
    }
    return new Bias(raw.array(), scales);
  }

  static TensorProto tensor(String name, int type, long[] dims, byte[] raw) {
    TensorProto.Builder t =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(type)
            .setRawData(ByteString.copyFrom(raw));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }
}
