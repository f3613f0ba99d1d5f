package dev.modelfleet.server.quantization;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.Int8StaticQuantizer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The float reference's runs on the calibration samples, in ONNX Runtime, for int8 static and int8
 * QDQ: what {@link Int8StaticQuantizer} and {@code ActivationRanges} measure activation ranges on.
 * Values that are not float (a shape computation exposed untyped) are skipped.
 *
 * <p>Memory is bounded: every activation a run exposes stays allocated (ONNX Runtime cannot reuse a
 * graph output's buffer) until the run's results close, so exposing all of a 640×640 network's
 * activations at once holds them all. The first sample is run with {@link #PROBE} activations
 * exposed at a time, which measures each one's size; the others in groups of at most {@link
 * #GROUP_BYTES}.
 */
final class CalibrationRuns implements Int8StaticQuantizer.ActivationRuns {

  /** The activations one run exposes together, in bytes (one activation alone may exceed it). */
  static final long GROUP_BYTES = 128L << 20;

  /** Activations exposed together on the first sample, while their sizes are not known yet. */
  static final int PROBE = 4;

  private final ValidationSet calibration;
  private final long groupBytes;

  CalibrationRuns(ValidationSet calibration) {
    this(calibration, GROUP_BYTES);
  }

  CalibrationRuns(ValidationSet calibration, long groupBytes) {
    this.calibration = calibration;
    this.groupBytes = groupBytes;
  }

  @Override
  public void run(byte[] model, Set<String> activations, BiConsumer<String, float[]> values) {
    // the same single-thread session as every other derivation run: requests come first
    try (OrtSession.SessionOptions o = VariantCheck.options()) {
      runAll(model, o, activations, values);
    } catch (OrtException e) {
      throw new DerivationException(
          "the reference failed on the calibration inputs: " + VariantCheck.reason(e));
    }
  }

  private void runAll(
      byte[] model,
      OrtSession.SessionOptions o,
      Set<String> activations,
      BiConsumer<String, float[]> values)
      throws OrtException {
    try (OrtSession session = VariantCheck.open(model, o)) {
      Map<String, Long> sizes = new HashMap<>();
      List<Set<String>> groups = null;
      for (Map<String, ValidationSet.Sample> sample : calibration.samples()) {
        if (groups == null) {
          List<String> names = List.copyOf(activations);
          for (int i = 0; i < names.size(); i += PROBE) {
            Set<String> probe =
                new LinkedHashSet<>(names.subList(i, Math.min(names.size(), i + PROBE)));
            run(session, sample, probe, values, sizes);
          }
          groups = groups(activations, sizes);
        } else {
          for (Set<String> group : groups) {
            run(session, sample, group, values, sizes);
          }
        }
      }
    }
  }

  /** Consecutive activations packed into groups of at most {@code groupBytes}. */
  private List<Set<String>> groups(Set<String> activations, Map<String, Long> sizes) {
    List<Set<String>> groups = new ArrayList<>();
    Set<String> group = new LinkedHashSet<>();
    long bytes = 0;
    for (String name : activations) {
      long size = sizes.getOrDefault(name, 0L);
      if (!group.isEmpty() && bytes + size > groupBytes) {
        groups.add(group);
        group = new LinkedHashSet<>();
        bytes = 0;
      }
      group.add(name);
      bytes += size;
    }
    if (!group.isEmpty()) {
      groups.add(group);
    }
    return groups;
  }

  private static void run(
      OrtSession session,
      Map<String, ValidationSet.Sample> sample,
      Set<String> exposed,
      BiConsumer<String, float[]> values,
      Map<String, Long> sizes)
      throws OrtException {
    Map<String, OnnxTensor> in = VariantCheck.tensors(session, sample);
    try (OrtSession.Result result = session.run(in, exposed)) {
      for (String name : exposed) {
        OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
        sizes.put(name, t.getInfo().getNumElements() * 4L);
        if (t.getInfo().type != OnnxJavaType.FLOAT) {
          continue; // int8-qdq exposes untyped values; a shape computation has no range
        }
        FloatBuffer fb = t.getFloatBuffer(); // already a copy on the heap: no second one
        float[] v;
        if (fb.hasArray() && fb.arrayOffset() == 0 && fb.array().length == fb.remaining()) {
          v = fb.array();
        } else {
          v = new float[fb.remaining()];
          fb.get(v);
        }
        values.accept(name, v);
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }
}
