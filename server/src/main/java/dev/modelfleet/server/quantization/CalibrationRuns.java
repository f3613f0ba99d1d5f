package dev.modelfleet.server.quantization;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.Int8StaticQuantizer;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The float reference's runs on the calibration samples, in ONNX Runtime, for int8 static and int8
 * QDQ: what {@link Int8StaticQuantizer} and {@code ActivationRanges} measure activation ranges on.
 * Values that are not float (a shape computation exposed untyped) are skipped.
 */
final class CalibrationRuns implements Int8StaticQuantizer.ActivationRuns {

  private final ValidationSet calibration;

  CalibrationRuns(ValidationSet calibration) {
    this.calibration = calibration;
  }

  @Override
  public void run(byte[] model, Set<String> activations, BiConsumer<String, float[]> values) {
    // the same single-thread session as every other derivation run: requests come first
    try (OrtSession.SessionOptions o = VariantCheck.options();
        OrtSession session = VariantCheck.open(model, o)) {
      for (Map<String, ValidationSet.Sample> sample : calibration.samples()) {
        Map<String, OnnxTensor> in = VariantCheck.tensors(session, sample);
        try (OrtSession.Result result = session.run(in, activations)) {
          for (String name : activations) {
            OnnxTensor t = (OnnxTensor) result.get(name).orElseThrow();
            if (t.getInfo().type != OnnxJavaType.FLOAT) {
              continue; // int8-qdq exposes untyped values; a shape computation has no range
            }
            FloatBuffer fb = t.getFloatBuffer();
            float[] v = new float[fb.remaining()];
            fb.get(v);
            values.accept(name, v);
          }
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
      }
    } catch (OrtException e) {
      throw new DerivationException(
          "the reference failed on the calibration inputs: " + VariantCheck.reason(e));
    }
  }
}
