package dev.modelfleet.server.quantization.graph;

/**
 * A float weight to store as uint8, symmetrically per output channel: its values in the order of
 * {@code dims}, and how many output channels it has, on its first axis (Conv: [M, C, kH, kW]) or
 * its last (MatMul: [K, N]).
 */
record Int8Weight(float[] values, long[] dims, int channels, boolean channelsFirst) {

  /** The uint8 values around {@code zeroPoint}, and each channel's scale back to float. */
  record Quantized(byte[] uint8, float[] scales) {}

  static Int8Weight channelsLast(float[] values, int k, int n) {
    return new Int8Weight(values, new long[] {k, n}, n, false);
  }

  /** Each channel's largest magnitude maps to ±127; an all-zero channel gets scale 1. */
  Quantized quantize(int zeroPoint) {
    float[] scales = new float[channels];
    int perChannel = values.length / channels;
    for (int i = 0; i < values.length; i++) {
      int c = channelsFirst ? i / perChannel : i % channels;
      scales[c] = Math.max(scales[c], Math.abs(values[i]));
    }
    for (int c = 0; c < channels; c++) {
      scales[c] = scales[c] == 0 || !Float.isFinite(scales[c]) ? 1f : scales[c] / 127f;
    }
    byte[] q = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      int c = channelsFirst ? i / perChannel : i % channels;
      long v = Math.round(values[i] / scales[c]);
      q[i] = (byte) (Math.max(-127, Math.min(127, v)) + zeroPoint);
    }
    return new Quantized(q, scales);
  }
}
