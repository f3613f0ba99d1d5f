package dev.modelfleet.agent.runtime;

import java.util.List;
import java.util.Set;

/** A model ready to run; implemented over ONNX Runtime, and by fakes in tests of the core. */
public interface LoadedModel extends AutoCloseable {

  List<TensorSpec> inputs();

  List<TensorSpec> outputs();

  /**
   * Runs the model. Inputs are checked against {@link #inputs()} first
   * ({@link TensorValidator}); {@code outputs} empty means all outputs.
   */
  List<Tensor> infer(List<Tensor> inputs, Set<String> outputs) throws InferenceException;

  @Override
  void close();
}
