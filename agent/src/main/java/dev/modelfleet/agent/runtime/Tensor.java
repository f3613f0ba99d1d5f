package dev.modelfleet.agent.runtime;

/**
 * A tensor with its data flat in row-major order, in the primitive array that matches its datatype:
 * FP32 float[], FP64 double[], INT64 long[], INT32 int[], INT16 short[], INT8/UINT8 byte[], BOOL
 * boolean[]. Flat primitive arrays are what JSON parsing produces and what ONNX Runtime buffers
 * take, so nothing is boxed on the way.
 */
public record Tensor(String name, String datatype, long[] shape, Object data) {

  /**
   * The number of elements a shape holds, or -1 when a dimension is negative or the product does
   * not fit in a long (a shape like [2^32, 2^32] must not wrap around to 0).
   */
  public static long elementCount(long[] shape) {
    long count = 1;
    for (long dim : shape) {
      if (dim < 0) {
        return -1;
      }
      try {
        count = Math.multiplyExact(count, dim);
      } catch (ArithmeticException e) {
        return -1;
      }
    }
    return count;
  }

  public int length() {
    return java.lang.reflect.Array.getLength(data);
  }
}
