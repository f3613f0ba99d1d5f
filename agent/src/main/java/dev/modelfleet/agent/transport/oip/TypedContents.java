package dev.modelfleet.agent.transport.oip;

import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.inference.v2.InferTensorContents;
import java.util.List;

/**
 * Tensors in the protocol's typed form ({@code InferTensorContents}: one repeated field per family
 * of datatypes) to and from the agent's flat primitive arrays.
 */
final class TypedContents {

  private TypedContents() {}

  static Tensor decode(String name, String datatype, long[] shape, InferTensorContents contents)
      throws InferenceException {
    Object data =
        switch (datatype) {
          case "FP32" -> {
            List<Float> v = contents.getFp32ContentsList();
            float[] a = new float[v.size()];
            for (int i = 0; i < a.length; i++) {
              a[i] = v.get(i);
            }
            yield a;
          }
          case "FP64" -> {
            List<Double> v = contents.getFp64ContentsList();
            double[] a = new double[v.size()];
            for (int i = 0; i < a.length; i++) {
              a[i] = v.get(i);
            }
            yield a;
          }
          case "INT64" -> {
            List<Long> v = contents.getInt64ContentsList();
            long[] a = new long[v.size()];
            for (int i = 0; i < a.length; i++) {
              a[i] = v.get(i);
            }
            yield a;
          }
          case "INT32" -> {
            List<Integer> v = contents.getIntContentsList();
            int[] a = new int[v.size()];
            for (int i = 0; i < a.length; i++) {
              a[i] = v.get(i);
            }
            yield a;
          }
          case "INT16" -> {
            List<Integer> v = contents.getIntContentsList();
            short[] a = new short[v.size()];
            for (int i = 0; i < a.length; i++) {
              a[i] = (short) inRange(name, v.get(i), Short.MIN_VALUE, Short.MAX_VALUE);
            }
            yield a;
          }
          case "INT8" -> {
            List<Integer> v = contents.getIntContentsList();
            byte[] a = new byte[v.size()];
            for (int i = 0; i < a.length; i++) {
              a[i] = (byte) inRange(name, v.get(i), Byte.MIN_VALUE, Byte.MAX_VALUE);
            }
            yield a;
          }
          case "UINT8" -> {
            List<Integer> v = contents.getUintContentsList();
            byte[] a = new byte[v.size()];
            for (int i = 0; i < a.length; i++) {
              // uint32 on the wire arrives as a Java int; compared unsigned.
              a[i] = (byte) inRange(name, v.get(i), 0, 255);
            }
            yield a;
          }
          case "BOOL" -> {
            List<Boolean> v = contents.getBoolContentsList();
            boolean[] a = new boolean[v.size()];
            for (int i = 0; i < a.length; i++) {
              a[i] = v.get(i);
            }
            yield a;
          }
          default ->
              throw new InferenceException(
                  true,
                  "input '"
                      + name
                      + "' has datatype "
                      + datatype
                      + ", which this agent does not take; use one of FP32, FP64, INT64, INT32,"
                      + " INT16, INT8, UINT8, BOOL");
        };
    return new Tensor(name, datatype, shape, data);
  }

  private static int inRange(String name, int value, int min, int max) throws InferenceException {
    if (value < min || value > max) {
      throw new InferenceException(
          true,
          "input '"
              + name
              + "' holds "
              + Integer.toUnsignedString(value)
              + ", outside its datatype's range "
              + min
              + ".."
              + max);
    }
    return value;
  }

  static InferTensorContents encode(Tensor tensor) {
    InferTensorContents.Builder b = InferTensorContents.newBuilder();
    Object data = tensor.data();
    if (data instanceof float[] a) {
      for (float v : a) {
        b.addFp32Contents(v);
      }
    } else if (data instanceof double[] a) {
      for (double v : a) {
        b.addFp64Contents(v);
      }
    } else if (data instanceof long[] a) {
      for (long v : a) {
        b.addInt64Contents(v);
      }
    } else if (data instanceof int[] a) {
      for (int v : a) {
        b.addIntContents(v);
      }
    } else if (data instanceof short[] a) {
      for (short v : a) {
        b.addIntContents(v);
      }
    } else if (data instanceof boolean[] a) {
      for (boolean v : a) {
        b.addBoolContents(v);
      }
    } else if (data instanceof byte[] a) {
      boolean unsigned = tensor.datatype().equals("UINT8");
      for (byte v : a) {
        if (unsigned) {
          b.addUintContents(v & 0xff);
        } else {
          b.addIntContents(v);
        }
      }
    } else {
      throw new IllegalArgumentException(
          "output '" + tensor.name() + "' holds " + data.getClass().getSimpleName());
    }
    return b.build();
  }
}
