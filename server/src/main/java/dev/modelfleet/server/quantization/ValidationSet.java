package dev.modelfleet.server.quantization;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;
import dev.modelfleet.server.quantization.graph.DerivationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The inputs a derived variant is compared on: the operator's own samples, checked against the
 * model's signature, or inputs synthesized from that signature. Synthesis is capped: symbolic
 * dimensions become 1 and a declared shape above {@link #MAX_ELEMENTS} elements is refused, so a
 * model that declares [2^31, 2^31] cannot make the server allocate anything large.
 */
public record ValidationSet(List<Map<String, Sample>> samples, boolean synthesized) {

  /** 4 Mi elements (16 MiB of float) per input tensor. */
  public static final long MAX_ELEMENTS = 1L << 22;

  public static final int SYNTHESIZED_SAMPLES = 8;
  public static final int MAX_SYNTHESIZED_SAMPLES = 64;

  /** One input tensor: its shape and its values (float inputs as float, integer as long). */
  public record Sample(long[] shape, float[] floats, long[] longs) {}

  /** The operator's samples as sent in JSON: name → {shape, data}. */
  public record SuppliedTensor(List<Long> shape, List<Double> data) {}

  public static ValidationSet synthesize(Map<String, NodeInfo> inputs, long seed) {
    return synthesize(inputs, Map.of(), SYNTHESIZED_SAMPLES, seed);
  }

  /** {@code shapes}: per input, the shape to use instead of the declared one. */
  public static ValidationSet synthesize(
      Map<String, NodeInfo> inputs, Map<String, List<Long>> shapes, int count, long seed) {
    for (String name : shapes.keySet()) {
      if (!inputs.containsKey(name)) {
        throw new IllegalArgumentException(
            "validation shape for '"
                + name
                + "', which is not an input of the model; its inputs are "
                + inputs.keySet());
      }
    }
    Random random = new Random(seed);
    List<Map<String, Sample>> samples = new ArrayList<>();
    for (int s = 0; s < count; s++) {
      Map<String, Sample> sample = new LinkedHashMap<>();
      for (Map.Entry<String, NodeInfo> e : inputs.entrySet()) {
        TensorInfo info = tensorInfo(e.getKey(), e.getValue());
        List<Long> given = shapes.get(e.getKey());
        long[] shape =
            given == null
                ? Arrays.stream(info.getShape()).map(d -> d < 0 ? 1 : d).toArray()
                : fitting("validation shape", e.getKey(), given, info.getShape());
        int n = checkedElements(e.getKey(), shape, given == null ? "declared" : "given");
        if (info.type == OnnxJavaType.FLOAT) {
          float[] v = new float[n];
          for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
          }
          sample.put(e.getKey(), new Sample(shape, v, null));
        } else if (info.type == OnnxJavaType.INT64 || info.type == OnnxJavaType.INT32) {
          sample.put(e.getKey(), new Sample(shape, null, new long[n]));
        } else {
          throw new DerivationException(
              "input '"
                  + e.getKey()
                  + "' is of type "
                  + info.type
                  + ", which cannot be synthesized; supply validation samples");
        }
      }
      samples.add(sample);
    }
    return new ValidationSet(samples, true);
  }

  /**
   * Checks the operator's samples against the signature: every input, fitting shapes, data count.
   */
  public static ValidationSet supplied(
      List<Map<String, SuppliedTensor>> supplied, Map<String, NodeInfo> inputs, String what) {
    if (supplied.isEmpty()) {
      throw new IllegalArgumentException(what + " has no samples");
    }
    List<Map<String, Sample>> samples = new ArrayList<>();
    for (int s = 0; s < supplied.size(); s++) {
      Map<String, SuppliedTensor> given = supplied.get(s);
      if (given == null || !given.keySet().equals(inputs.keySet())) {
        throw new IllegalArgumentException(
            what
                + " sample "
                + s
                + " has inputs "
                + (given == null ? "none" : given.keySet())
                + "; the model takes "
                + inputs.keySet());
      }
      Map<String, Sample> sample = new LinkedHashMap<>();
      for (Map.Entry<String, NodeInfo> e : inputs.entrySet()) {
        String name = e.getKey();
        TensorInfo info = tensorInfo(name, e.getValue());
        SuppliedTensor t = given.get(name);
        if (t == null || t.shape() == null || t.data() == null) {
          throw new IllegalArgumentException(
              what + " sample " + s + " input '" + name + "' needs both 'shape' and 'data'");
        }
        long[] shape = fitting(what + " sample " + s, name, t.shape(), info.getShape());
        int n = checkedElements(name, shape, "given");
        if (t.data().size() != n) {
          throw new IllegalArgumentException(
              what
                  + " sample "
                  + s
                  + " input '"
                  + name
                  + "' has "
                  + t.data().size()
                  + " values; shape "
                  + Arrays.toString(shape)
                  + " needs "
                  + n);
        }
        if (info.type == OnnxJavaType.FLOAT) {
          float[] v = new float[n];
          for (int i = 0; i < n; i++) {
            v[i] = t.data().get(i).floatValue();
          }
          sample.put(name, new Sample(shape, v, null));
        } else if (info.type == OnnxJavaType.INT64 || info.type == OnnxJavaType.INT32) {
          long[] v = new long[n];
          for (int i = 0; i < n; i++) {
            v[i] = t.data().get(i).longValue();
          }
          sample.put(name, new Sample(shape, null, v));
        } else {
          throw new IllegalArgumentException(
              "input '"
                  + name
                  + "' is of type "
                  + info.type
                  + ", which validation samples cannot carry");
        }
      }
      samples.add(sample);
    }
    return new ValidationSet(samples, false);
  }

  private static long[] fitting(String what, String name, List<Long> given, long[] declared) {
    long[] shape = given.stream().mapToLong(d -> d == null ? -1 : d).toArray();
    boolean fits = shape.length == declared.length;
    for (int i = 0; fits && i < shape.length; i++) {
      fits = shape[i] >= 0 && (declared[i] < 0 || declared[i] == shape[i]);
    }
    if (!fits) {
      throw new IllegalArgumentException(
          what
              + " input '"
              + name
              + "' has shape "
              + Arrays.toString(shape)
              + "; the model declares "
              + Arrays.toString(declared)
              + " (-1: any size)");
    }
    return shape;
  }

  private static TensorInfo tensorInfo(String name, NodeInfo node) {
    if (node.getInfo() instanceof TensorInfo t) {
      return t;
    }
    throw new DerivationException("input '" + name + "' is not a tensor");
  }

  private static int checkedElements(String name, long[] shape, String how) {
    long n = 1;
    for (long d : shape) {
      if (d > MAX_ELEMENTS || (n = n * d) > MAX_ELEMENTS) {
        throw new DerivationException(
            "input '"
                + name
                + "' has "
                + how
                + " shape "
                + Arrays.toString(shape)
                + ", above the validation limit of "
                + MAX_ELEMENTS
                + " elements per input; supply smaller validation samples");
      }
    }
    return (int) n;
  }
}
