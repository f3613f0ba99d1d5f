package dev.modelfleet.server.quantization;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.TensorInfo;
import dev.modelfleet.onnx.compare.Comparators;
import dev.modelfleet.onnx.compare.ComparisonSpec;
import dev.modelfleet.server.common.ApiError;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The comparators and floors a derivation job names: checked against the model before the job is
 * queued (so a spec that cannot apply is a 400 naming the output and why, and nothing is stored),
 * and read back as specs when the job runs.
 */
final class JobComparators {

  /** More than this per output is a mistake, not a need. */
  static final int MAX_PER_OUTPUT = 8;

  private JobComparators() {}

  /**
   * The job's comparators in canonical text, or null when it names none.
   *
   * @param outputs the reference model's outputs (name → info)
   */
  static Map<String, List<String>> check(
      Map<String, NodeInfo> outputs, Map<String, List<String>> requested) {
    if (requested == null || requested.isEmpty()) {
      return null;
    }
    Map<String, List<String>> checked = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : requested.entrySet()) {
      String output = e.getKey();
      NodeInfo info = outputs.get(output);
      if (info == null) {
        throw ApiError.INVALID_REQUEST.exception(
            "'comparators' names output '"
                + bounded(output)
                + "', which the model does not have; its outputs are "
                + outputs.keySet()
                + ".");
      }
      if (!(info.getInfo() instanceof TensorInfo tensor) || tensor.type != OnnxJavaType.FLOAT) {
        throw ApiError.INVALID_REQUEST.exception(
            "'comparators' names output '"
                + output
                + "', which is not a float32 tensor; derivation jobs compare float32 outputs.");
      }
      List<String> texts = e.getValue();
      if (texts == null || texts.isEmpty()) {
        throw ApiError.INVALID_REQUEST.exception(
            "'comparators' gives output '"
                + output
                + "' no comparator; name one (e.g. \"cosine>=0.99\") or leave the output out for"
                + " its default.");
      }
      if (texts.size() > MAX_PER_OUTPUT) {
        throw ApiError.INVALID_REQUEST.exception(
            "'comparators' gives output '"
                + output
                + "' "
                + texts.size()
                + " comparators; at most "
                + MAX_PER_OUTPUT
                + ".");
      }
      Set<String> canonical = new LinkedHashSet<>();
      for (String text : texts) {
        ComparisonSpec spec;
        try {
          spec = ComparisonSpec.parse(text);
        } catch (IllegalArgumentException ex) {
          throw ApiError.INVALID_REQUEST.exception(
              "Output '" + output + "': " + ex.getMessage() + ".");
        }
        String why = Comparators.whyNotApplicable(spec, tensor.getShape(), "FLOAT");
        if (why != null) {
          throw ApiError.INVALID_REQUEST.exception(
              "Output '" + output + "': " + spec + " does not apply: " + why + ".");
        }
        if (!canonical.add(spec.toString())) {
          throw ApiError.INVALID_REQUEST.exception(
              "Output '" + output + "': " + spec + " is named twice.");
        }
      }
      checked.put(output, List.copyOf(canonical));
    }
    return checked;
  }

  /**
   * Comparators checked without a model (a derivation policy's, before any version exists): each
   * text parses, at most {@link #MAX_PER_OUTPUT} per output, none twice. Canonical texts, or null
   * when none are named.
   */
  static Map<String, List<String>> checkTexts(Map<String, List<String>> requested) {
    if (requested == null || requested.isEmpty()) {
      return null;
    }
    Map<String, List<String>> checked = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : requested.entrySet()) {
      String output = e.getKey();
      List<String> texts = e.getValue();
      if (output == null || output.isBlank()) {
        throw ApiError.INVALID_REQUEST.exception("'comparators' names an output with no name.");
      }
      if (texts == null || texts.isEmpty()) {
        throw ApiError.INVALID_REQUEST.exception(
            "'comparators' gives output '"
                + bounded(output)
                + "' no comparator; name one (e.g. \"cosine>=0.99\") or leave the output out for"
                + " its default.");
      }
      if (texts.size() > MAX_PER_OUTPUT) {
        throw ApiError.INVALID_REQUEST.exception(
            "'comparators' gives output '"
                + bounded(output)
                + "' "
                + texts.size()
                + " comparators; at most "
                + MAX_PER_OUTPUT
                + ".");
      }
      Set<String> canonical = new LinkedHashSet<>();
      for (String text : texts) {
        ComparisonSpec spec;
        try {
          spec = ComparisonSpec.parse(text);
        } catch (IllegalArgumentException ex) {
          throw ApiError.INVALID_REQUEST.exception(
              "Output '" + bounded(output) + "': " + ex.getMessage() + ".");
        }
        if (!canonical.add(spec.toString())) {
          throw ApiError.INVALID_REQUEST.exception(
              "Output '" + bounded(output) + "': " + spec + " is named twice.");
        }
      }
      checked.put(output, List.copyOf(canonical));
    }
    return checked;
  }

  /**
   * Floors per kind, each a kind the job derives and in (0, 1]; null when none.
   *
   * @param kinds the job's kinds, as the wire names them
   */
  static Map<String, Double> checkFloors(List<String> kinds, Map<String, Double> requested) {
    if (requested == null || requested.isEmpty()) {
      return null;
    }
    Map<String, Double> checked = new LinkedHashMap<>();
    for (Map.Entry<String, Double> e : requested.entrySet()) {
      if (!kinds.contains(e.getKey())) {
        throw ApiError.INVALID_REQUEST.exception(
            "'floors' names kind '"
                + bounded(e.getKey())
                + "', which this job does not derive; it derives "
                + kinds
                + ".");
      }
      Double floor = e.getValue();
      if (floor == null || !(floor > 0 && floor <= 1)) {
        throw ApiError.INVALID_REQUEST.exception(
            "'floors' of "
                + e.getKey()
                + " must be greater than 0 and at most 1 (relative to the reference); got "
                + floor
                + ".");
      }
      checked.put(e.getKey(), floor);
    }
    return checked;
  }

  /** The stored texts as specs (they were checked when the job was created). */
  static Map<String, List<ComparisonSpec>> specs(Map<String, List<String>> stored) {
    Map<String, List<ComparisonSpec>> specs = new LinkedHashMap<>();
    if (stored != null) {
      stored.forEach(
          (output, texts) -> specs.put(output, texts.stream().map(ComparisonSpec::parse).toList()));
    }
    return specs;
  }

  private static String bounded(String text) {
    return text.length() <= 80 ? text : text.substring(0, 80) + "...";
  }
}
