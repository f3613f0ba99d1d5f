package dev.modelfleet.agent.runtime;

import java.util.List;
import java.util.Set;

/** A model ready to run; implemented over ONNX Runtime, and by fakes in tests of the core. */
public interface LoadedModel extends AutoCloseable {

  List<TensorSpec> inputs();

  List<TensorSpec> outputs();

  /** The execution provider this model really runs on, e.g. "cpu" after a fallback. */
  default String executionProvider() {
    return ExecutionProviders.CPU;
  }

  /**
   * Runs the model. Inputs are checked against {@link #inputs()} first
   * ({@link TensorValidator}); {@code outputs} empty means all outputs.
   */
  List<Tensor> infer(List<Tensor> inputs, Set<String> outputs) throws InferenceException;

  @Override
  void close();
}
