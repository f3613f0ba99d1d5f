package dev.modelfleet.agent.testing;

import dev.modelfleet.agent.runtime.InferenceException;
import dev.modelfleet.agent.runtime.LoadedModel;
import dev.modelfleet.agent.runtime.ModelLoadException;
import dev.modelfleet.agent.runtime.ModelLoader;
import dev.modelfleet.agent.runtime.Tensor;
import dev.modelfleet.agent.runtime.TensorSpec;
import dev.modelfleet.agent.runtime.TensorValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model loader for tests of the agent's core (deploy, trust, rollback, restore) that need models
 * to load, answer and be swapped, but not ONNX Runtime. Its models are small text files it makes
 * itself ({@link #model}); any other file does not load, with the reason code the real loader gives
 * a file that is not a model ({@code model-malformed}). Every model runs on the CPU, as on a
 * machine without accelerators.
 */
public final class FakeModelLoader implements ModelLoader {

  /** The one input: FP32 [1, 4]. */
  public static final String INPUT = "input";

  /** The one output: the input times the model's weight. */
  public static final String OUTPUT = "output";

  private static final String HEADER = "modelfleet test model\n";
  private static final String FAILS = "fails\n";

  /** Models this loader has loaded and not yet closed. */
  public final AtomicInteger open = new AtomicInteger();

  /** A model file whose model answers its input times {@code weight}: versions differ by it. */
  public static byte[] model(float weight) {
    return model(weight, 0);
  }

  /** The same, padded to at least {@code size} bytes (for downloads that must take a while). */
  public static byte[] model(float weight, int size) {
    String text = HEADER + "weight " + weight + "\n";
    return (text + "#".repeat(Math.max(0, size - text.length()))).getBytes(StandardCharsets.UTF_8);
  }

  /** A model file that loads but fails every run, as a model whose kernels cannot run here. */
  public static byte[] failingModel() {
    return (HEADER + FAILS).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public LoadedModel load(Path verifiedArtifact) throws ModelLoadException {
    String text;
    try {
      text = Files.readString(verifiedArtifact, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read " + verifiedArtifact.getFileName(), e);
    }
    if (!text.startsWith(HEADER)) {
      throw new ModelLoadException(
          "model-malformed", verifiedArtifact.getFileName() + " is not a model", null);
    }
    String first = text.substring(HEADER.length()).lines().findFirst().orElse("");
    open.incrementAndGet();
    return first.equals(FAILS.strip())
        ? new Model(Float.NaN, true)
        : new Model(Float.parseFloat(first.substring("weight ".length())), false);
  }

  private final class Model implements LoadedModel {
    private final float weight;
    private final boolean fails;
    private boolean closed;

    Model(float weight, boolean fails) {
      this.weight = weight;
      this.fails = fails;
    }

    @Override
    public List<TensorSpec> inputs() {
      return List.of(new TensorSpec(INPUT, "FP32", new long[] {1, 4}));
    }

    @Override
    public List<TensorSpec> outputs() {
      return List.of(new TensorSpec(OUTPUT, "FP32", new long[] {1, 4}));
    }

    @Override
    public List<Tensor> infer(List<Tensor> inputs, Set<String> outputs) throws InferenceException {
      TensorValidator.check(inputs(), inputs);
      if (fails) {
        throw new InferenceException(false, "this model cannot run here");
      }
      float[] in = (float[]) inputs.get(0).data();
      float[] out = new float[in.length];
      for (int i = 0; i < in.length; i++) {
        out[i] = in[i] * weight;
      }
      return List.of(new Tensor(OUTPUT, "FP32", new long[] {1, 4}, out));
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        open.decrementAndGet();
      }
    }
  }
}
