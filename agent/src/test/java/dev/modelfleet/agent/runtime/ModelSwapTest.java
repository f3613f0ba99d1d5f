package dev.modelfleet.agent.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modelfleet.agent.runtime.ort.OrtModelLoader;
import dev.modelfleet.onnx.samples.SampleModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Swaps a real ONNX Runtime model back and forth under a concurrent inference loop. */
class ModelSwapTest {

  @TempDir Path dir;

  @Test
  void swappingUnderLoadFailsNoCallAndClosesEveryRetiredSession() throws Exception {
    OrtModelLoader loader = new OrtModelLoader(1);
    Path v1 = dir.resolve("v1.onnx");
    Path v2 = dir.resolve("v2.onnx");
    Files.write(v1, SampleModels.classifier(1));
    Files.write(v2, SampleModels.classifier(2));
    ModelRegistry registry = new ModelRegistry();
    registry.swap(new ServedModel("m", "1", "m-1", "a", loader.load(v1)));

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong calls = new AtomicLong();
    AtomicLong failures = new AtomicLong();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      futures.add(
          clients.submit(
              () -> {
                while (running.get()) {
                  ServedModel model = registry.acquire("m");
                  try {
                    List<Tensor> out =
                        model
                            .model()
                            .infer(
                                List.of(
                                    new Tensor(
                                        SampleModels.INPUT,
                                        "FP32",
                                        new long[] {1, 4},
                                        new float[] {1, 2, 3, 4})),
                                Set.of());
                    if (((float[]) out.get(0).data()).length != 3) {
                      failures.incrementAndGet();
                    }
                  } catch (Exception e) {
                    failures.incrementAndGet();
                  } finally {
                    model.release();
                  }
                  calls.incrementAndGet();
                }
              }));
    }
    List<ServedModel> retired = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      retired.add(registry.peek("m"));
      registry.swap(
          new ServedModel(
              "m", String.valueOf(i), "m-" + i, "x" + i, loader.load(i % 2 == 0 ? v2 : v1)));
      Thread.sleep(5);
    }
    running.set(false);
    for (Future<?> f : futures) {
      f.get();
    }
    clients.shutdown();

    assertEquals(0, failures.get(), "failed calls during swaps");
    assertTrue(calls.get() > 100, "the loop ran: " + calls.get());
    for (ServedModel old : retired) {
      assertTrue(old.closed(), "retired model " + old.version() + " closed after draining");
    }
    ServedModel current = registry.peek("m");
    assertFalse(current.closed());
    registry.closeAll();
    assertTrue(current.closed());
  }

  @Test
  void aRetiredModelStaysOpenUntilItsLastRequestReleasesIt() throws Exception {
    Path v1 = dir.resolve("v1.onnx");
    Files.write(v1, SampleModels.classifier(1));
    ModelRegistry registry = new ModelRegistry();
    ServedModel old = new ServedModel("m", "1", "m-1", "a", new OrtModelLoader(1).load(v1));
    registry.swap(old);
    ServedModel inFlight = registry.acquire("m");
    registry.remove("m");
    assertFalse(old.closed(), "a request still holds it");
    inFlight
        .model()
        .infer(
            List.of(new Tensor(SampleModels.INPUT, "FP32", new long[] {1, 4}, new float[4])),
            Set.of());
    inFlight.release();
    assertTrue(old.closed());
  }
}
