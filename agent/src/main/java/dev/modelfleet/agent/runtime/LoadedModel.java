package dev.modelfleet.agent.runtime;

import java.util.List;
import java.util.Set;

/** A model ready to run; implemented over ONNX Runtime, and by fakes in tests of the core. */
public interface LoadedModel extends AutoCloseable {

  List<TensorSpec> inputs();

  List<TensorSpec> outputs();

  /** The execution provider this model really runs on, e.g. "cpu" after a fallback. */
  default String executionProvider() {
    return ModelLoader.CPU;
  }

  /**
   * Runs the model. Inputs are checked against {@link #inputs()} first ({@link TensorValidator});
   * {@code outputs} empty means all outputs.
   */
  List<Tensor> infer(List<Tensor> inputs, Set<String> outputs) throws InferenceException;

  /**
   * Runs the model and tells {@code observer} how long a successful run took. Implementations that
   * can, time only the runtime's own run (no input checks, no tensor conversion), so that the
   * figure compares versions; this default times the whole call.
   */
  default List<Tensor> infer(List<Tensor> inputs, Set<String> outputs, ModelRunObserver observer)
      throws InferenceException {
    long start = System.nanoTime();
    List<Tensor> result = infer(inputs, outputs);
    observer.modelRan(System.nanoTime() - start);
    return result;
  }

  @Override
  void close();
}
