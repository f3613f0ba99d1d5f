package dev.modelfleet.agent.runtime.ort;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.modelfleet.agent.runtime.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/** Conversions between ONNX Runtime tensors and the protocol's flat {@link Tensor}s. */
final class OrtTypes {

  private OrtTypes() {}

  static String datatype(OnnxJavaType type) {
    return switch (type) {
      case FLOAT -> "FP32";
      case DOUBLE -> "FP64";
      case INT8 -> "INT8";
      case UINT8 -> "UINT8";
      case INT16 -> "INT16";
      case INT32 -> "INT32";
      case INT64 -> "INT64";
      case BOOL -> "BOOL";
      case FLOAT16 -> "FP16";
      case BFLOAT16 -> "BF16";
      case STRING -> "BYTES";
      default -> "UNKNOWN";
    };
  }

  static OnnxTensor toOrt(OrtEnvironment env, Tensor tensor) throws OrtException {
    long[] shape = tensor.shape();
    return switch (tensor.datatype()) {
      case "FP32" -> OnnxTensor.createTensor(env, FloatBuffer.wrap((float[]) tensor.data()), shape);
      case "FP64" ->
          OnnxTensor.createTensor(env, DoubleBuffer.wrap((double[]) tensor.data()), shape);
      case "INT64" -> OnnxTensor.createTensor(env, LongBuffer.wrap((long[]) tensor.data()), shape);
      case "INT32" -> OnnxTensor.createTensor(env, IntBuffer.wrap((int[]) tensor.data()), shape);
      case "INT16" ->
          OnnxTensor.createTensor(env, ShortBuffer.wrap((short[]) tensor.data()), shape);
      case "INT8" ->
          OnnxTensor.createTensor(
              env, ByteBuffer.wrap((byte[]) tensor.data()), shape, OnnxJavaType.INT8);
      case "UINT8" ->
          OnnxTensor.createTensor(
              env, ByteBuffer.wrap((byte[]) tensor.data()), shape, OnnxJavaType.UINT8);
      case "BOOL" -> {
        boolean[] values = (boolean[]) tensor.data();
        ByteBuffer bytes = ByteBuffer.allocateDirect(values.length).order(ByteOrder.nativeOrder());
        for (boolean value : values) {
          bytes.put((byte) (value ? 1 : 0));
        }
        bytes.flip();
        yield OnnxTensor.createTensor(env, bytes, shape, OnnxJavaType.BOOL);
      }
      default ->
          throw new IllegalArgumentException(
              "datatype " + tensor.datatype() + " is not supported by this agent's inference API");
    };
  }

  static Tensor fromOrt(String name, OnnxTensor value) {
    var info = value.getInfo();
    long[] shape = info.getShape();
    String datatype = datatype(info.type);
    Object data =
        switch (info.type) {
          case FLOAT -> array(value.getFloatBuffer());
          case DOUBLE -> array(value.getDoubleBuffer());
          case INT64 -> array(value.getLongBuffer());
          case INT32 -> array(value.getIntBuffer());
          case INT16 -> array(value.getShortBuffer());
          case INT8, UINT8 -> array(value.getByteBuffer());
          case BOOL -> {
            ByteBuffer bytes = value.getByteBuffer();
            boolean[] values = new boolean[bytes.remaining()];
            for (int i = 0; i < values.length; i++) {
              values[i] = bytes.get(i) != 0;
            }
            yield values;
          }
          default ->
              throw new IllegalStateException(
                  "output '"
                      + name
                      + "' has type "
                      + info.type
                      + " which the inference API cannot send");
        };
    return new Tensor(name, datatype, shape, data);
  }

  // ONNX Runtime hands out fresh heap buffers; their backing array is the data, no copy.
  private static float[] array(FloatBuffer b) {
    return b.hasArray() && b.arrayOffset() == 0 && b.array().length == b.remaining()
        ? b.array()
        : copy(b);
  }

  private static float[] copy(FloatBuffer b) {
    float[] a = new float[b.remaining()];
    b.get(a);
    return a;
  }

  private static double[] array(DoubleBuffer b) {
    double[] a = new double[b.remaining()];
    b.get(a);
    return a;
  }

  private static long[] array(LongBuffer b) {
    long[] a = new long[b.remaining()];
    b.get(a);
    return a;
  }

  private static int[] array(IntBuffer b) {
    int[] a = new int[b.remaining()];
    b.get(a);
    return a;
  }

  private static short[] array(ShortBuffer b) {
    short[] a = new short[b.remaining()];
    b.get(a);
    return a;
  }

  private static byte[] array(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return a;
  }
}
