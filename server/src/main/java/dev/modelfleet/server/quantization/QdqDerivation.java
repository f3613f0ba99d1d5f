package dev.modelfleet.server.quantization;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.server.quantization.graph.ActivationRanges;
import dev.modelfleet.server.quantization.graph.AffineFolding;
import dev.modelfleet.server.quantization.graph.ChannelSplit;
import dev.modelfleet.server.quantization.graph.DerivationException;
import dev.modelfleet.server.quantization.graph.Int8DynamicQuantizer;
import dev.modelfleet.server.quantization.graph.Int8QdqQuantizer;
import dev.modelfleet.server.quantization.graph.IntegerKernelRewrite;
import dev.modelfleet.server.quantization.graph.OnnxGraphs;
import dev.modelfleet.server.quantization.graph.QuantizationReport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * int8-qdq from end to end: pre-processing, calibration, the QDQ rewrite ({@link Int8QdqQuantizer})
 * and the mixed-precision search, which runs ONNX Runtime and so lives here rather than in {@code
 * graph}.
 *
 * <ol>
 *   <li>Pre-processing: BatchNormalization folded into Conv (reported), then ONNX Runtime's basic
 *       graph optimisations (constant folding, redundant node removal), written out as a standard
 *       ONNX model: every shape computation that can be folded is, so the QDQ rewrite sees plain
 *       operators with stored weights; then Div by a constant and HardSigmoid are rewritten into
 *       operators with integer kernels, and constant Mul/Add next to a Conv folded into it ({@link
 *       AffineFolding}).
 *   <li>Channel splitting: a Conv → channel-wise operators → depthwise Conv region whose channels
 *       differ widely in range on the calibration samples is split in two parts with their own
 *       scales ({@link ChannelSplit}).
 *   <li>Calibration: the ranges of every activation the rewrite may quantize, once, by the chosen
 *       method ({@link ActivationRanges}).
 *   <li>Mixed precision, when the all-int8 variant misses the floor: each Conv/MatMul/Gemm (or
 *       block of consecutive ones, at most {@link #MAX_PROBES}) is kept in float alone and the
 *       accuracy gained measured; the most costly are then kept in float, most costly first, until
 *       the variant meets the floor or {@link #MAX_KEPT_SHARE} of them are float.
 *   <li>Depthwise convolutions, small in arithmetic and often no faster in int8, are tried in float
 *       together, then MaxPool operators (a plain loop on uint8, vectorised on float); each group
 *       is kept so when that variant measures faster in interleaved rounds.
 * </ol>
 */
final class QdqDerivation {

  /**
   * When a job names no method: mse, the only one that brought the PP-OCRv4 detector fully int8 to
   * IoU 0.95, and never below minmax on the classifier and generated models (docs/quantization.md,
   * "Calibration"). It reads the activations twice (extremes, then a histogram), minmax once.
   */
  static final ActivationRanges.Method DEFAULT_METHOD = ActivationRanges.Method.MSE;

  private static final int MAX_PROBES = 16;
  private static final double MAX_KEPT_SHARE = 0.5;

  /** Operators tried in float must run at most this share of the all-int8 time to stay. */
  private static final double FLOAT_FASTER = 0.97;

  private QdqDerivation() {}

  /**
   * {@code validation} and {@code floor}: for the mixed-precision search; null validation skips it
   * (and the depthwise timing).
   */
  static Int8DynamicQuantizer.Result derive(
      ModelProto model,
      byte[] reference,
      ValidationSet calibration,
      ActivationRanges.Method method,
      double percentile,
      ValidationSet validation,
      double floor) {
    return derive(model, reference, calibration, method, percentile, validation, floor, Map.of());
  }

  /**
   * The same, the search judging candidates as the job will judge the variant: by {@code
   * comparators} (output → the job's comparators), each other output by its default at {@code
   * floor}.
   */
  static Int8DynamicQuantizer.Result derive(
      ModelProto model,
      byte[] reference,
      ValidationSet calibration,
      ActivationRanges.Method method,
      double percentile,
      ValidationSet validation,
      double floor,
      Map<String, List<ComparisonSpec>> comparators) {
    List<QuantizationReport.Op> folded = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    ModelProto pre = splitChannels(preprocess(model, folded, notes), calibration, folded);
    Set<String> names = Int8QdqQuantizer.activations(pre);
    Map<String, float[]> ranges =
        ActivationRanges.measure(pre, names, new CalibrationRuns(calibration), method, percentile);
    Map<String, String> keep = new LinkedHashMap<>();
    Int8DynamicQuantizer.Result result = Int8QdqQuantizer.quantize(pre, ranges, keep);
    if (validation != null) {
      Judge judge =
          candidate -> VariantCheck.judge(reference, candidate, validation, comparators, floor);
      VariantCheck.Judgement allInt8 = judge.of(result.model().toByteArray());
      if (!allInt8.passes()) {
        result = mixedPrecision(pre, ranges, judge, allInt8, keep, notes);
      }
      result =
          floatIfFaster(
              "depthwise convolutions",
              Int8QdqQuantizer.depthwiseConvs(pre),
              pre,
              ranges,
              keep,
              result,
              judge,
              validation,
              notes);
      result =
          floatIfFaster(
              "MaxPool operators",
              Int8QdqQuantizer.maxPools(pre),
              pre,
              ranges,
              keep,
              result,
              judge,
              validation,
              notes);
    }
    List<QuantizationReport.Op> converted = new ArrayList<>(folded);
    converted.addAll(result.report().converted());
    QuantizationReport report =
        new QuantizationReport(converted, result.report().keptFloat(), notes);
    report =
        report.withNote(
            "activations calibrated by "
                + method.wire()
                + (method == ActivationRanges.Method.PERCENTILE ? " " + percentile : "")
                + " on "
                + calibration.samples().size()
                + " samples");
    return new Int8DynamicQuantizer.Result(result.model(), report);
  }

  /** BN folding, then ONNX Runtime's basic optimisations saved as a model; the input on failure. */
  static ModelProto preprocess(
      ModelProto model, List<QuantizationReport.Op> folded, List<String> notes) {
    ModelProto bnFree = Int8QdqQuantizer.foldBatchNorms(model, folded);
    Path out = null;
    try {
      out = Files.createTempFile("modelfleet-qdq-", ".onnx");
      try (OrtSession.SessionOptions o = VariantCheck.options()) {
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.BASIC_OPT);
        o.setOptimizedModelFilePath(out.toString());
        VariantCheck.open(bnFree.toByteArray(), o).close();
      }
      return AffineFolding.fold(
          IntegerKernelRewrite.rewrite(OnnxGraphs.parse(Files.readAllBytes(out))), folded);
    } catch (OrtException | RuntimeException e) {
      notes.add(
          "ONNX Runtime's basic graph optimisations could not pre-process the model ("
              + Reasons.of(e)
              + "); quantized without them");
      return AffineFolding.fold(IntegerKernelRewrite.rewrite(bnFree), folded);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (out != null) {
        try {
          Files.deleteIfExists(out);
        } catch (IOException ignored) {
          // a temporary file left behind is not worth failing the derivation for
        }
      }
    }
  }

  /**
   * {@link ChannelSplit}: the regions whose head Conv's output channels differ in range by an order
   * of magnitude on the calibration samples, split so each part gets its own scales.
   */
  static ModelProto splitChannels(
      ModelProto pre, ValidationSet calibration, List<QuantizationReport.Op> converted) {
    List<ChannelSplit.Region> regions = ChannelSplit.regions(pre);
    if (regions.isEmpty()) {
      return pre;
    }
    Map<String, Integer> channels = new LinkedHashMap<>();
    regions.forEach(r -> channels.put(r.headOutput(), r.channels()));
    Map<String, float[]> max =
        ActivationRanges.channelMaxima(pre, channels, new CalibrationRuns(calibration));
    return ChannelSplit.split(pre, max, converted);
  }

  /** How the job will judge a candidate variant (its comparators and floors). */
  @FunctionalInterface
  interface Judge {
    VariantCheck.Judgement of(byte[] candidate);
  }

  private static Int8DynamicQuantizer.Result mixedPrecision(
      ModelProto pre,
      Map<String, float[]> ranges,
      Judge judge,
      VariantCheck.Judgement allInt8,
      Map<String, String> keep,
      List<String> notes) {
    List<List<String>> blocks = blocks(Int8QdqQuantizer.weightedNodes(pre));
    // each probe keeps a block's weighted operators float together with the elementwise ones
    // feeding them, so a tensor read by an Add before the Conv is no longer quantized either
    List<List<String>> stretches = Int8QdqQuantizer.stretches(pre, blocks);
    record Probe(List<String> stretch, int weighted, VariantCheck.Judgement judgement) {}
    List<Probe> probes = new ArrayList<>();
    for (int i = 0; i < blocks.size(); i++) {
      Map<String, String> alone = new LinkedHashMap<>();
      stretches.get(i).forEach(n -> alone.put(n, "probe"));
      byte[] variant = Int8QdqQuantizer.quantize(pre, ranges, alone).model().toByteArray();
      probes.add(new Probe(stretches.get(i), blocks.get(i).size(), judge.of(variant)));
    }
    probes.sort(Comparator.comparingDouble((Probe p) -> p.judgement().margin()).reversed());
    int total = blocks.stream().mapToInt(List::size).sum();
    int keptWeighted = 0;
    Int8DynamicQuantizer.Result result = Int8QdqQuantizer.quantize(pre, ranges, keep);
    VariantCheck.Judgement current = allInt8;
    for (Probe p : probes) {
      if (current.passes() || keptWeighted + p.weighted() > total * MAX_KEPT_SHARE) {
        break;
      }
      if (p.judgement().margin() <= allInt8.margin()) {
        break; // keeping it float gains nothing measurable; nor will the rest
      }
      String why =
          String.format(
              Locale.ROOT,
              "mixed precision: with %s in float the worst comparator's margin is %.4f, all int8"
                  + " %.4f (%s)",
              p.stretch().size() == 1
                  ? "it"
                  : "its stretch of " + p.stretch().size() + " operators",
              p.judgement().margin(),
              allInt8.margin(),
              allInt8.shortfall());
      p.stretch().forEach(n -> keep.put(n, why));
      keptWeighted += p.weighted();
      result = Int8QdqQuantizer.quantize(pre, ranges, keep);
      current = judge.of(result.model().toByteArray());
    }
    notes.add(
        String.format(
            Locale.ROOT,
            "mixed precision: all int8 missed the job's comparators (%s); %d of %d Conv/MatMul/Gemm"
                + " kept in float with %d operators feeding them (%d probes) %s",
            allInt8.shortfall(),
            keptWeighted,
            total,
            keep.size() - keptWeighted,
            probes.size(),
            current.passes() ? "meets them" : "still misses them (" + current.shortfall() + ")"));
    return result;
  }

  /** The weighted operators in at most {@link #MAX_PROBES} runs of consecutive ones. */
  static List<List<String>> blocks(List<String> nodes) {
    int size = Math.max(1, (nodes.size() + MAX_PROBES - 1) / MAX_PROBES);
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i += size) {
      out.add(nodes.subList(i, Math.min(nodes.size(), i + size)));
    }
    return out;
  }

  /**
   * Keeps {@code candidates} (operators that may run slower in int8 than in float) in float when
   * the variant measures faster so in interleaved rounds and keeps its accuracy.
   */
  private static Int8DynamicQuantizer.Result floatIfFaster(
      String what,
      List<String> candidates,
      ModelProto pre,
      Map<String, float[]> ranges,
      Map<String, String> keep,
      Int8DynamicQuantizer.Result current,
      Judge judge,
      ValidationSet validation,
      List<String> notes) {
    List<String> chosen = candidates.stream().filter(n -> !keep.containsKey(n)).toList();
    if (chosen.isEmpty()) {
      return current;
    }
    Map<String, String> withFloat = new LinkedHashMap<>(keep);
    chosen.forEach(n -> withFloat.put(n, "probe"));
    Int8DynamicQuantizer.Result alternative = Int8QdqQuantizer.quantize(pre, ranges, withFloat);
    VariantCheck.Judgement before = judge.of(current.model().toByteArray());
    VariantCheck.Judgement after = judge.of(alternative.model().toByteArray());
    if (!after.passes() && after.margin() < before.margin()) {
      notes.add(
          String.format(
              Locale.ROOT,
              "%d %s stay int8: with them in float the job's comparators are missed (%s)",
              chosen.size(),
              what,
              after.shortfall()));
      return current;
    }
    VariantCheck.Latency latency =
        timed(
            current.model().toByteArray(),
            alternative.model().toByteArray(),
            validation.samples().get(0));
    if (latency.ratio() >= FLOAT_FASTER) {
      notes.add(
          String.format(
              Locale.ROOT,
              "%d %s stay int8: with them in float the variant ran at %.2fx",
              chosen.size(),
              what,
              latency.ratio()));
      return current;
    }
    String why =
        String.format(
            Locale.ROOT,
            "slower in int8: with the %d %s in float the variant ran at %.2fx"
                + " (%.2f-%.2f, %d interleaved rounds)",
            chosen.size(),
            what,
            latency.ratio(),
            latency.min(),
            latency.max(),
            latency.rounds());
    chosen.forEach(n -> keep.put(n, why));
    return Int8QdqQuantizer.quantize(pre, ranges, keep);
  }

  /** Interleaved latency of {@code candidate} against {@code base} on one validation sample. */
  private static VariantCheck.Latency timed(
      byte[] base, byte[] candidate, Map<String, ValidationSet.Sample> sample) {
    try (OrtSession.SessionOptions o = VariantCheck.options();
        OrtSession a = VariantCheck.open(base, o);
        OrtSession b = VariantCheck.open(candidate, o)) {
      return VariantCheck.interleaved(a, b, sample);
    } catch (OrtException e) {
      throw new DerivationException("ONNX Runtime failed: " + VariantCheck.reason(e));
    }
  }
}
