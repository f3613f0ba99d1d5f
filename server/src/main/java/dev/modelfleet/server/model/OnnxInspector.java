package dev.modelfleet.server.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.modelfleet.onnx.CheckedModel;
import dev.modelfleet.onnx.SafeSessions;
import dev.modelfleet.server.common.ApiError;
import dev.modelfleet.server.common.FailureReasons;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Proves an upload is a model ONNX Runtime can load and reads its signature. The runtime is started
 * on first use, not at server start, because most starts never see an upload.
 */
@ApplicationScoped
public class OnnxInspector {

  private static final String ELEMENT_TYPE_PREFIX = "ONNX_TENSOR_ELEMENT_DATA_TYPE_";

  public record Signature(List<TensorSpecInfo> inputs, List<TensorSpecInfo> outputs) {}

  /** {@code file} is where the checked model lies, named only to keep it out of messages. */
  public Signature inspect(CheckedModel model, Path file) {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = SafeSessions.open(OrtEnvironment.getEnvironment(), model, options)) {
      return new Signature(specs(session.getInputInfo()), specs(session.getOutputInfo()));
    } catch (OrtException e) {
      throw ApiError.INVALID_ONNX.exception(
          "ONNX Runtime cannot load the upload as a model: "
              + whole(String.valueOf(e.getMessage()).replace(file.toString(), "<upload>")));
    }
  }

  private static List<TensorSpecInfo> specs(Map<String, NodeInfo> nodes) {
    return nodes.values().stream().map(OnnxInspector::spec).toList();
  }

  private static TensorSpecInfo spec(NodeInfo node) {
    if (node.getInfo() instanceof TensorInfo tensor) {
      String type = tensor.onnxType.name();
      if (type.startsWith(ELEMENT_TYPE_PREFIX)) {
        type = type.substring(ELEMENT_TYPE_PREFIX.length());
      }
      return new TensorSpecInfo(
          node.getName(), type, Arrays.stream(tensor.getShape()).boxed().toList());
    }
    // sequences and maps have no tensor shape; name the kind so the signature stays complete
    return new TensorSpecInfo(
        node.getName(),
        node.getInfo()
            .getClass()
            .getSimpleName()
            .replace("Info", "")
            .toUpperCase(java.util.Locale.ROOT),
        List.of());
  }

  /**
   * The runtime's message whole (the operator and the node it names usually come last), bounded
   * only against a pathological one, and then cut at a sentence or word.
   */
  static String whole(String message) {
    if (message == null || message.isBlank()) {
      return "no reason given";
    }
    return FailureReasons.bounded(message.strip(), FailureReasons.LIMIT);
  }
}
