package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnxruntime.NodeInfo;
import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.Fp16Converter;
import dev.modelfleet.server.quantization.graph.Int8DynamicQuantizer;
import dev.modelfleet.server.quantization.graph.Int8QdqQuantizer;
import dev.modelfleet.server.quantization.graph.Int8StaticQuantizer;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import dev.modelfleet.server.quantization.graph.OpsetUpgrade;
import dev.modelfleet.server.quantization.graph.QuantizationReport;
import dev.modelfleet.server.quantization.graph.Tensors;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The derivation pipeline without storage: checks a reference model can be derived, derives a kind
 * and compares it with the reference. Shared by the background jobs, the tests and the benchmark.
 */
public final class Derivations {

  /** Oldest and newest default-domain opset accepted (ONNX Runtime 1.23 runs up to 23). */
  public static final long MIN_OPSET = 7;

  public static final long MAX_OPSET = 23;

  private static final Set<String> QUANTIZED_OPS =
      Set.of(
          "QuantizeLinear",
          "DequantizeLinear",
          "DynamicQuantizeLinear",
          "MatMulInteger",
          "ConvInteger",
          "QLinearConv",
          "QLinearMatMul",
          "MatMulIntegerToFloat",
          "DynamicQuantizeMatMul",
          "QGemm",
          "QAttention",
          "DynamicQuantizeLSTM",
          "MatMulNBits");

  private Derivations() {}

  public record Derived(byte[] model, QuantizationReport report) {}

  /**
   * Refuses, with the reason, a model that is not an fp32 reference (already quantized or in
   * float16), whose opset is out of range, or that gains nothing from {@code kind}.
   */
  public static void check(ModelProto model, DerivationKind kind) {
    OnnxGraphs.requireWellFormed(model.getGraph());
    long opset = OnnxGraphs.defaultOpset(model);
    if (opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new DerivationException(
          "the model imports opset "
              + opset
              + " of the default domain;"
              + " derivations support opsets "
              + MIN_OPSET
              + " to "
              + MAX_OPSET);
    }
    Set<String> quantized = new TreeSet<>();
    OnnxGraphs.forEachNode(
        model.getGraph(),
        n -> {
          if (QUANTIZED_OPS.contains(n.getOpType())) {
            quantized.add(n.getOpType());
          }
        });
    if (!quantized.isEmpty()) {
      throw new DerivationException(
          "the model is already quantized (it uses "
              + quantized
              + "); derive from the fp32 reference");
    }
    int[] floats = new int[2];
    OnnxGraphs.forEachConstant(
        model.getGraph(),
        t -> {
          if (t.getDataType() == Tensors.FLOAT16 && t.getDimsCount() > 0) {
            floats[1]++;
          } else if (t.getDataType() == Tensors.FLOAT) {
            floats[0]++;
          }
        });
    if (floats[1] > 0) {
      throw new DerivationException(
          "the model already holds "
              + floats[1]
              + " float16 weight tensors; derive from the fp32 reference");
    }
    if (kind == DerivationKind.INT8_QDQ) {
      String refusal = OpsetUpgrade.refusal(model, Int8QdqQuantizer.MIN_OPSET);
      if (refusal != null) {
        throw new DerivationException(refusal);
      }
      if (Int8QdqQuantizer.weightedNodes(model).isEmpty()) {
        throw new DerivationException(Int8QdqQuantizer.NO_MAIN_GRAPH_OPERATOR);
      }
    } else if (kind == DerivationKind.INT8_DYNAMIC || kind == DerivationKind.INT8_STATIC) {
      String refusal = OpsetUpgrade.refusal(model, Int8DynamicQuantizer.MIN_OPSET);
      if (refusal != null) {
        throw new DerivationException(refusal);
      }
      if (kind == DerivationKind.INT8_STATIC
          && model.getGraph().getNodeList().stream()
              .noneMatch(
                  n ->
                      n.getDomain().isEmpty()
                          && Set.of("Conv", "MatMul", "Gemm").contains(n.getOpType()))) {
        throw new DerivationException(Int8StaticQuantizer.NO_MAIN_GRAPH_OPERATOR);
      }
      if (Int8DynamicQuantizer.quantizableCount(model) == 0) {
        throw new DerivationException(
            "the model has no MatMul, Gemm or Conv with a stored float32"
                + " weight, so int8 dynamic quantization would change nothing");
      }
    } else if (floats[0] == 0) {
      throw new DerivationException(
          "the model stores no float32 tensor, so fp16 would change nothing");
    }
  }

  /** {@code calibration} and {@code reference}: needed for int8-static only. */
  public static Derived derive(
      ModelProto model,
      DerivationKind kind,
      DerivationViews.Calibration calibration,
      byte[] reference) {
    return derive(
        model,
        kind,
        kind.calibrates() ? calibrationSet(reference, calibration) : null,
        calibration,
        reference,
        null,
        0,
        Map.of());
  }

  /**
   * int8-qdq with its mixed-precision search against {@code validation} and {@code floor}; the
   * other kinds ignore both.
   */
  public static Derived derive(
      ModelProto model,
      DerivationKind kind,
      DerivationViews.Calibration calibration,
      byte[] reference,
      ValidationSet validation,
      double floor) {
    return derive(
        model,
        kind,
        kind.calibrates() ? calibrationSet(reference, calibration) : null,
        calibration,
        reference,
        validation,
        floor,
        Map.of());
  }

  /**
   * The same with the calibration samples already made tensors ({@code calibrationSet}; {@code
   * settings}: method and percentile, its samples unused), so a job can drop the samples' JSON
   * before it measures anything. {@code comparators}: the job's (output → its comparators), which
   * int8-qdq's mixed-precision search judges candidates by, as the job then judges the variant.
   */
  static Derived derive(
      ModelProto model,
      DerivationKind kind,
      ValidationSet calibrationSet,
      DerivationViews.Calibration settings,
      byte[] reference,
      ValidationSet validation,
      double floor,
      Map<String, List<ComparisonSpec>> comparators) {
    check(model, kind);
    DerivationViews.Calibration calibration = settings;
    Int8DynamicQuantizer.Result r =
        switch (kind) {
          case INT8_DYNAMIC -> Int8DynamicQuantizer.quantize(model);
          case INT8_STATIC ->
              Int8StaticQuantizer.quantize(
                  model,
                  new CalibrationRuns(calibrationSet),
                  method(calibration),
                  percentile(calibration));
          case INT8_QDQ ->
              QdqDerivation.derive(
                  model,
                  reference,
                  calibrationSet,
                  qdqMethod(calibration),
                  percentile(calibration),
                  validation,
                  floor,
                  comparators);
          case FP16 -> loadableFp16(model);
        };
    return new Derived(r.model().toByteArray(), r.report());
  }

  /** How many operators fp16 keeps in float32 for ONNX Runtime's sake before giving up. */
  private static final int MAX_KEPT_FOR_LOADING = 3;

  /**
   * fp16, made loadable where ONNX Runtime (with all optimisations, as devices open it) fails on an
   * operator it names: e.g. its layer-norm fusion on a float16 graph fails with a type error in the
   * node it fuses into. That operator is then kept in float32 between Casts, which also keeps the
   * fusion from matching; at most {@link #MAX_KEPT_FOR_LOADING} times, each in the report.
   */
  static Int8DynamicQuantizer.Result loadableFp16(ModelProto model) {
    Map<String, String> keep = new java.util.LinkedHashMap<>();
    java.util.List<String> notes = new java.util.ArrayList<>();
    Int8DynamicQuantizer.Result r = Fp16Converter.convert(model);
    for (int i = 0; i < MAX_KEPT_FOR_LOADING; i++) {
      String failure = VariantCheck.loadFailure(r.model().toByteArray());
      if (failure == null) {
        break;
      }
      NodeProto named = namedNode(model, failure);
      if (named == null || keep.containsKey(named.getName())) {
        break; // VariantCheck retries at lower optimisation levels and reports
      }
      keep.put(named.getName(), "ONNX Runtime cannot load the float16 graph with it in float16");
      notes.add(
          "ONNX Runtime could not load the float16 graph ("
              + failure
              + "); '"
              + named.getName()
              + "' kept in float32");
      r = Fp16Converter.convert(model, keep);
    }
    QuantizationReport report = r.report();
    for (String note : notes) {
      report = report.withNote(note);
    }
    return new Int8DynamicQuantizer.Result(r.model(), report);
  }

  /**
   * The node ONNX Runtime's message names ("in node (mul/LayerNormFusion/)" names "mul", the node a
   * fusion started from), if the converter can keep it in float32.
   */
  private static NodeProto namedNode(ModelProto model, String message) {
    java.util.List<String> named = new java.util.ArrayList<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("[Nn]ode \\(([^)]*)\\)").matcher(message);
    while (m.find()) {
      named.add(m.group(1));
    }
    NodeProto[] best = {null};
    OnnxGraphs.forEachNode(
        model.getGraph(),
        n -> {
          String name = n.getName();
          if (name.isEmpty() || !Fp16Converter.canKeepInFloat32(n)) {
            return;
          }
          boolean matches =
              named.stream().anyMatch(x -> x.equals(name) || x.startsWith(name + "/"));
          if (matches && (best[0] == null || name.length() > best[0].getName().length())) {
            best[0] = n;
          }
        });
    return best[0];
  }

  /** The operator's calibration samples, checked against the signature like validation samples. */
  public static ValidationSet calibrationSet(
      byte[] reference, DerivationViews.Calibration calibration) {
    return calibrationSet(VariantCheck.inputs(reference), calibration);
  }

  /** The same, for a caller that already asked ONNX Runtime for the model's inputs. */
  static ValidationSet calibrationSet(
      Map<String, NodeInfo> inputs, DerivationViews.Calibration calibration) {
    if (calibration == null || calibration.samples() == null || calibration.samples().isEmpty()) {
      throw new IllegalArgumentException(
          "int8-static needs calibration samples (int8-qdq too) in 'calibration.samples' (JSON) or"
              + " 'calibration.samplesFile' (an uploaded .npy or .npz)");
    }
    qdqMethod(calibration);
    percentile(calibration);
    return ValidationSet.supplied(calibration.samples(), inputs, "calibration");
  }

  /**
   * int8-static's method: minmax or percentile (the others are int8-qdq's); when not named, minmax.
   * Names are read through {@link ActivationRanges.Method#fromWire}, so an unknown one gets the
   * same message, listing every method, whichever kind the job asks for.
   */
  static Int8StaticQuantizer.Method method(DerivationViews.Calibration c) {
    if (c == null || c.method() == null) {
      return Int8StaticQuantizer.Method.MINMAX;
    }
    ActivationRanges.Method m = ActivationRanges.Method.fromWire(c.method());
    for (Int8StaticQuantizer.Method s : Int8StaticQuantizer.Method.values()) {
      if (s.name().equals(m.name())) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "calibration method '"
            + m.wire()
            + "' is for int8-qdq; int8-static takes "
            + ActivationRanges.Method.listed(
                java.util.Arrays.stream(Int8StaticQuantizer.Method.values())
                    .map(s -> ActivationRanges.Method.valueOf(s.name()))
                    .toArray(ActivationRanges.Method[]::new)));
  }

  /** int8-qdq's method: one of {@link ActivationRanges.Method}; when not named, the default. */
  static ActivationRanges.Method qdqMethod(DerivationViews.Calibration c) {
    if (c == null || c.method() == null) {
      return QdqDerivation.DEFAULT_METHOD;
    }
    return ActivationRanges.Method.fromWire(c.method());
  }

  static double percentile(DerivationViews.Calibration c) {
    double p = c == null || c.percentile() == null ? 99.99 : c.percentile();
    if (!(p > 50 && p <= 100)) {
      throw new IllegalArgumentException("calibration percentile must be in (50, 100]; got " + p);
    }
    return p;
  }

  /** The validation set a job uses: the operator's samples, else inputs synthesized (seeded). */
  public static ValidationSet validationSet(
      byte[] reference, DerivationViews.Validation validation) {
    return validationSet(VariantCheck.inputs(reference), validation);
  }

  /** The same, for a caller that already asked ONNX Runtime for the model's inputs. */
  static ValidationSet validationSet(
      Map<String, NodeInfo> inputs, DerivationViews.Validation validation) {
    if (validation != null && validation.samples() != null && !validation.samples().isEmpty()) {
      return ValidationSet.supplied(validation.samples(), inputs, "validation");
    }
    int count =
        validation == null || validation.count() == null
            ? ValidationSet.SYNTHESIZED_SAMPLES
            : validation.count();
    if (count < 1 || count > ValidationSet.MAX_SYNTHESIZED_SAMPLES) {
      throw new IllegalArgumentException(
          "'count' must be between 1 and "
              + ValidationSet.MAX_SYNTHESIZED_SAMPLES
              + "; got "
              + count);
    }
    return ValidationSet.synthesize(
        inputs,
        validation == null || validation.shapes() == null ? Map.of() : validation.shapes(),
        count,
        42);
  }
}
