package dev.modelfleet.agent.runtime.ort;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelRunObserver;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.runtime.TensorSpec;
import dev.modelfleet.agent.runtime.TensorValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A model in an ONNX Runtime session. OrtSession.run is thread-safe; so is this. */
final class OrtLoadedModel implements LoadedModel {

  private final OrtEnvironment env;
  private final OrtSession session;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private final String executionProvider;

  OrtLoadedModel(OrtEnvironment env, OrtSession session, String executionProvider)
      throws OrtException {
    this.env = env;
    this.session = session;
    this.executionProvider = executionProvider;
    this.inputs = specs(session.getInputInfo());
    this.outputs = specs(session.getOutputInfo());
  }

  private static List<TensorSpec> specs(Map<String, NodeInfo> infos) {
    List<TensorSpec> specs = new ArrayList<>();
    for (NodeInfo node : infos.values()) {
      if (node.getInfo() instanceof TensorInfo tensor) {
        specs.add(
            new TensorSpec(node.getName(), OrtTypes.datatype(tensor.type), tensor.getShape()));
      } else {
        // Sequences and maps have no place in the v2 protocol; they show as opaque.
        specs.add(new TensorSpec(node.getName(), "UNKNOWN", new long[0]));
      }
    }
    return List.copyOf(specs);
  }

  @Override
  public List<TensorSpec> inputs() {
    return inputs;
  }

  @Override
  public List<TensorSpec> outputs() {
    return outputs;
  }

  @Override
  public String executionProvider() {
    return executionProvider;
  }

  @Override
  public List<Tensor> infer(List<Tensor> given, Set<String> requested) throws InferenceException {
    return infer(given, requested, ModelRunObserver.NONE);
  }

  @Override
  public List<Tensor> infer(List<Tensor> given, Set<String> requested, ModelRunObserver observer)
      throws InferenceException {
    TensorValidator.check(inputs, given);
    for (String name : requested) {
      if (outputs.stream().noneMatch(o -> o.name().equals(name))) {
        throw new InferenceException(
            true,
            "unknown output '"
                + name
                + "'; the model's outputs"
                + " are "
                + outputs.stream().map(TensorSpec::name).toList());
      }
    }
    Map<String, OnnxTensor> feeds = new HashMap<>(given.size() * 2);
    try {
      for (Tensor tensor : given) {
        feeds.put(tensor.name(), OrtTypes.toOrt(env, tensor));
      }
      long start = System.nanoTime();
      try (OrtSession.Result result =
          requested.isEmpty() ? session.run(feeds) : session.run(feeds, requested)) {
        observer.modelRan(System.nanoTime() - start);
        List<Tensor> out = new ArrayList<>(result.size());
        for (Map.Entry<String, OnnxValue> entry : result) {
          if (!(entry.getValue() instanceof OnnxTensor tensor)) {
            throw new InferenceException(
                false,
                "output '"
                    + entry.getKey()
                    + "' is not a tensor; the inference API serves tensors only");
          }
          out.add(OrtTypes.fromOrt(entry.getKey(), tensor));
        }
        return out;
      }
    } catch (OrtException | RuntimeException e) {
      throw new InferenceException(false, "ONNX Runtime failed: " + e.getMessage(), e);
    } finally {
      OnnxValue.close(feeds);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      // Nothing to recover: the session is gone either way.
    }
  }
}
